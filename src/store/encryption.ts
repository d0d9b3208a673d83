import { createCipheriv, createDecipheriv, hash, randomBytes } from 'node:crypto'
import { PoisonguardError } from '../errors.js'

/*
 * Envelope encryption at rest: each blob has its own random AES-256-GCM data key, and only that data key is
 * encrypted ("wrapped") with the master key. Rotating the master key rewraps the small data keys, never the data.
 * The blob id is bound into both as additional authenticated data, so a ciphertext moved to another row fails.
 */

const KEY_BYTES = 32
const NONCE_BYTES = 12

/** A 256-bit master key and its id (the first 16 hex digits of its SHA-256, safe to store beside the data). */
export interface MasterKey {
  id: string
  key: Buffer
}

/** The stored form of one encrypted blob. */
export interface SealedBlob {
  keyId: string
  /** Nonce ‖ tag ‖ encrypted data key. */
  wrappedKey: Buffer
  nonce: Buffer
  tag: Buffer
  ciphertext: Buffer
}

/** Builds a master key from its 32 raw bytes. */
export function masterKeyFrom(key: Buffer): MasterKey {
  if (key.length !== KEY_BYTES) {
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `a master key has ${KEY_BYTES} bytes (base64 of 32 random bytes), found ${key.length}`,
      { hint: 'create one with: head -c 32 /dev/urandom | base64' },
    )
  }
  return { id: hash('sha256', key, 'hex').slice(0, 16), key }
}

/** A fresh random master key. */
export function generateMasterKey(): MasterKey {
  return masterKeyFrom(randomBytes(KEY_BYTES))
}

function seal(
  key: Buffer,
  plaintext: Buffer,
  aad: string,
): { nonce: Buffer; tag: Buffer; ciphertext: Buffer } {
  const nonce = randomBytes(NONCE_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  cipher.setAAD(Buffer.from(aad))
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return { nonce, tag: cipher.getAuthTag(), ciphertext }
}

function open(
  key: Buffer,
  sealed: { nonce: Buffer; tag: Buffer; ciphertext: Buffer },
  aad: string,
  what: string,
): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.nonce)
    decipher.setAAD(Buffer.from(aad))
    decipher.setAuthTag(sealed.tag)
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()])
  } catch (error) {
    throw new PoisonguardError(
      'TAMPERED',
      `${what} failed its integrity check: it was altered or moved, and is not returned`,
      {
        hint: 'restore the store from a backup; the audit log shows the last accepted state',
        cause: error,
      },
    )
  }
}

function wrapKey(master: MasterKey, dataKey: Buffer, blobId: string): Buffer {
  const wrapped = seal(master.key, dataKey, `key:${blobId}`)
  return Buffer.concat([wrapped.nonce, wrapped.tag, wrapped.ciphertext])
}

function unwrapKey(master: MasterKey, wrappedKey: Buffer, blobId: string): Buffer {
  return open(
    master.key,
    {
      nonce: wrappedKey.subarray(0, NONCE_BYTES),
      tag: wrappedKey.subarray(NONCE_BYTES, NONCE_BYTES + 16),
      ciphertext: wrappedKey.subarray(NONCE_BYTES + 16),
    },
    `key:${blobId}`,
    `the data key of blob ${blobId}`,
  )
}

/** Encrypts one blob under a fresh data key wrapped by `master`. */
export function sealBlob(master: MasterKey, blobId: string, plaintext: Buffer): SealedBlob {
  const dataKey = randomBytes(KEY_BYTES)
  const sealed = seal(dataKey, plaintext, `blob:${blobId}`)
  return { keyId: master.id, wrappedKey: wrapKey(master, dataKey, blobId), ...sealed }
}

/** Finds the master key a blob was wrapped with among those given, by id. */
function keyFor(keys: readonly MasterKey[], keyId: string, blobId: string): MasterKey {
  const master = keys.find((key) => key.id === keyId)
  if (master) return master
  throw new PoisonguardError(
    'INVALID_ARGUMENT',
    `blob ${blobId} is wrapped by master key ${keyId}, which this server was not given`,
    {
      hint: 'start the server with the master key file or POISONGUARD_MASTER_KEY the store was written with',
    },
  )
}

/** Decrypts a blob; a changed byte anywhere (data, tag, nonce, wrapped key) is a TAMPERED error, never garbage. */
export function openBlob(keys: readonly MasterKey[], blobId: string, blob: SealedBlob): Buffer {
  const master = keyFor(keys, blob.keyId, blobId)
  const dataKey = unwrapKey(master, blob.wrappedKey, blobId)
  return open(dataKey, blob, `blob:${blobId}`, `blob ${blobId}`)
}

/** The data key of a blob wrapped anew by `next`; the ciphertext stays as it is. */
export function rewrapBlobKey(
  keys: readonly MasterKey[],
  next: MasterKey,
  blobId: string,
  blob: Pick<SealedBlob, 'keyId' | 'wrappedKey'>,
): Pick<SealedBlob, 'keyId' | 'wrappedKey'> {
  const dataKey = unwrapKey(keyFor(keys, blob.keyId, blobId), blob.wrappedKey, blobId)
  return { keyId: next.id, wrappedKey: wrapKey(next, dataKey, blobId) }
}
