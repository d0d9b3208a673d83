import { createPrivateKey, createPublicKey, generateKeyPairSync, hash, type KeyObject } from 'node:crypto'
import { lstat } from 'node:fs/promises'
import { PoisonguardError } from '../errors.js'
import { statOrThrow } from '../io/files.js'
import { readRegularFile } from '../io/regular-file.js'
import { writeOutputsAtomically } from '../io/transaction.js'

/** The key id used in envelopes and bundles: lowercase hex SHA-256 of the public key's DER SubjectPublicKeyInfo. */
export function keyIdOf(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key
  return hash('sha256', publicKey.export({ type: 'spki', format: 'der' }), 'hex')
}

/** Paths of a key pair written by `generateKeyFiles`. */
export interface KeyFiles {
  privateKeyPath: string
  publicKeyPath: string
  keyId: string
}

/** `mykey` or `mykey.pem` → `mykey.pem` and `mykey.pub.pem`. */
export function keyFilePaths(prefix: string): { privateKeyPath: string; publicKeyPath: string } {
  const stem = prefix.endsWith('.pem') ? prefix.slice(0, -'.pem'.length) : prefix
  return { privateKeyPath: `${stem}.pem`, publicKeyPath: `${stem}.pub.pem` }
}

/**
 * Generates an Ed25519 key pair and writes the private key (PKCS#8 PEM, mode 0600, never over an existing file
 * unless `overwrite`) and the public key (SPKI PEM).
 */
export async function generateKeyFiles(
  prefix: string,
  options: { overwrite?: boolean } = {},
): Promise<KeyFiles> {
  const { privateKeyPath, publicKeyPath } = keyFilePaths(prefix)
  if (!options.overwrite) await refuseExisting([privateKeyPath, publicKeyPath])
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string
  // The private key's temporary file is created with mode 0600, so its bytes are never readable by others.
  await writeOutputsAtomically([
    { path: privateKeyPath, contents: privatePem, mode: 0o600 },
    { path: publicKeyPath, contents: publicPem, mode: 0o644 },
  ])
  return { privateKeyPath, publicKeyPath, keyId: keyIdOf(publicKey) }
}

async function refuseExisting(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    const existing = await lstat(path).catch(() => undefined)
    if (!existing) continue
    throw PoisonguardError.at(
      'OUTPUT_ERROR',
      { file: path },
      'the file already exists',
      'choose another --out, or pass --force to replace the key pair',
    )
  }
}

/**
 * Reads an Ed25519 private key from a PEM file, refusing a file that group or others may read or write, so a key
 * is never used from a place where it may already have leaked.
 */
export async function readPrivateKey(path: string): Promise<KeyObject> {
  const stats = await statOrThrow(path)
  const loose = stats.mode & 0o077
  if (process.platform !== 'win32' && loose !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(4, '0')
    throw PoisonguardError.at(
      'INVALID_ARGUMENT',
      { file: path },
      `the private key file is accessible to group or others (mode ${mode}); refusing to use it. Fix with: chmod 600 ${path}`,
      `run \`chmod 600 ${path}\`, and consider the key compromised if others could read it`,
    )
  }
  const bytes = await readKeyFile(path)
  let key: KeyObject
  try {
    key = createPrivateKey(bytes)
  } catch (error) {
    throw PoisonguardError.at(
      'INVALID_ARGUMENT',
      { file: path },
      `not a readable private key (${keyErrorReason(error)})`,
      'pass the private key PEM written by `poisonguard keygen` (passphrase-protected keys are not supported)',
    )
  }
  return requireEd25519(key, path)
}

/** Reads an Ed25519 public key from a PEM file (a private key file is refused, so it is never passed around). */
export async function readPublicKey(path: string): Promise<KeyObject> {
  const bytes = await readKeyFile(path)
  if (bytes.includes('PRIVATE KEY')) {
    throw PoisonguardError.at(
      'INVALID_ARGUMENT',
      { file: path },
      'this is a private key; verification takes the public key',
      'pass the .pub.pem file written by `poisonguard keygen`',
    )
  }
  let key: KeyObject
  try {
    key = createPublicKey(bytes)
  } catch (error) {
    throw PoisonguardError.at(
      'INVALID_ARGUMENT',
      { file: path },
      `not a readable public key (${keyErrorReason(error)})`,
      'pass the .pub.pem file written by `poisonguard keygen`',
    )
  }
  return requireEd25519(key, path)
}

/** Larger than any PEM key; a bound so a device or a huge file named by mistake is never read whole. */
const MAX_KEY_FILE_BYTES = 64 << 10

function readKeyFile(path: string): Promise<Buffer> {
  return readRegularFile(path, { maxBytes: MAX_KEY_FILE_BYTES, what: 'key file' })
}

function requireEd25519(key: KeyObject, path: string): KeyObject {
  if (key.asymmetricKeyType === 'ed25519') return key
  throw PoisonguardError.at(
    'INVALID_ARGUMENT',
    { file: path },
    `expected an Ed25519 key, found ${key.asymmetricKeyType ?? 'an unknown key type'}`,
    'create a key pair with `poisonguard keygen --out mykey`',
  )
}

/** Node's decoder messages never quote key bytes, but keep only the short reason anyway. */
function keyErrorReason(error: unknown): string {
  const message = (error as Error).message ?? ''
  return message.split('\n')[0].slice(0, 120)
}
