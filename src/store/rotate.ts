import { readFile, rename, writeFile } from 'node:fs/promises'
import { PoisonguardError } from '../errors.js'
import { generateMasterKey, masterKeyFrom } from './encryption.js'
import { defaultMasterKeyFile, type OpenStoreOptions, openStore } from './open.js'

/** What a rotation did. */
export interface RotationResult {
  keyId: string
  blobs: number
  /** The key file now holding the new key; absent when the key comes from the environment. */
  keyFile?: string
}

/**
 * Rotates the master key: every blob's data key is rewrapped in one transaction. With a key file, the new key is
 * written to `<file>.new` first and moved over the old one only after the commit, so a crash at any point leaves a
 * key that opens every blob. With `POISONGUARD_MASTER_KEY`, the new key comes from `POISONGUARD_NEW_MASTER_KEY`.
 */
export async function rotateMasterKey(options: OpenStoreOptions, actor = 'cli'): Promise<RotationResult> {
  const fromEnvironment = (options.masterKey ?? process.env.POISONGUARD_MASTER_KEY) !== undefined
  if (fromEnvironment) {
    const next = process.env.POISONGUARD_NEW_MASTER_KEY
    if (!next)
      throw new PoisonguardError(
        'INVALID_ARGUMENT',
        'the master key comes from the environment, so the new one must too',
        {
          hint: 'set POISONGUARD_NEW_MASTER_KEY to base64 of 32 random bytes, rotate, then make it POISONGUARD_MASTER_KEY',
        },
      )
    const key = masterKeyFrom(Buffer.from(next, 'base64'))
    const store = await openStore(options)
    try {
      return { keyId: key.id, blobs: await store.rotateMasterKey(key, actor) }
    } finally {
      await store.close()
    }
  }
  const keyFile = options.masterKeyFile ?? defaultMasterKeyFile(options.dataDir)
  const store = await openStore(options)
  try {
    // A rotation that stopped before its rename left its key in `.new`: finish with that key rather than lose it.
    const pending = await readFile(`${keyFile}.new`, 'utf8').catch(() => undefined)
    const key = pending ? masterKeyFrom(Buffer.from(pending.trim(), 'base64')) : generateMasterKey()
    if (!pending)
      await writeFile(`${keyFile}.new`, `${key.key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
    const blobs = await store.rotateMasterKey(key, actor)
    await rename(`${keyFile}.new`, keyFile)
    return { keyId: key.id, blobs, keyFile }
  } finally {
    await store.close()
  }
}
