import { constants, type Stats } from 'node:fs'
import { access, lstat, realpath, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve, sep } from 'node:path'
import { type ErrorIssue, PoisonguardError } from '../errors.js'
import { describeFileKind } from './regular-file.js'

/** Where one output of a command goes, and the flag that named it (for messages). */
export interface OutputTarget {
  path: string
  /** The option that chose the path, e.g. `--out`; messages name it so the user knows what to change. */
  flag?: string
}

/** A file or folder as the file system sees it: by inode when it exists, by real path when it is new. */
interface Identity {
  key: string
  real: string
}

interface Input extends Identity {
  path: string
  folder: boolean
}

/** `--out m.csv`, or just the path when no flag chose it. */
export function describeOutput(output: OutputTarget): string {
  return output.flag ? `${output.flag} ${output.path}` : output.path
}

/**
 * Refuses, all problems at once, outputs that would clobber what a command reads or writes: an output that is an
 * input (after following symbolic links and hard links), lies inside an input folder, is another output of the
 * same command, is anything but a regular file or a new path (a device, FIFO, socket or folder), or whose folder
 * is missing, not a folder, or not writable. Nothing is written.
 */
export async function checkOutputs(
  outputs: readonly OutputTarget[],
  inputs: readonly (string | undefined)[] = [],
): Promise<void> {
  const inputIdentities = await identifyInputs(inputs)
  const issues: ErrorIssue[] = []
  const seen = new Map<string, OutputTarget>()
  for (const output of outputs) {
    const problem = await problemWith(output, inputIdentities, seen)
    if (problem) issues.push({ file: describeOutput(output), message: problem })
  }
  if (issues.length === 0) return
  const first = issues[0]
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more output problems)` : ''
  throw new PoisonguardError('OUTPUT_ERROR', `${first.file}: ${first.message}${more}`, {
    issues,
    hint: 'nothing was written; choose output paths that are new or regular files apart from every input',
  })
}

async function problemWith(
  output: OutputTarget,
  inputs: readonly Input[],
  seen: Map<string, OutputTarget>,
): Promise<string | undefined> {
  const identity = await identifyOutput(resolve(output.path))
  if (typeof identity === 'string') return identity
  const input = inputs.find((candidate) => candidate.key === identity.key)
  if (input) return `the output would overwrite the input ${input.path}; write it to a new path`
  const folder = inputs.find(
    (candidate) => candidate.folder && identity.real.startsWith(candidate.real + sep),
  )
  if (folder) return `the output is inside the input folder ${folder.path}; write it outside the input`
  const twin = seen.get(identity.key)
  if (twin) return `the output is the same file as ${describeOutput(twin)}; give every output its own path`
  seen.set(identity.key, output)
  return undefined
}

/** The output's identity, or why it cannot be an output. */
async function identifyOutput(absolute: string): Promise<Identity | string> {
  let found: Stats
  try {
    found = await lstat(absolute)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return identifyNewPath(absolute)
    return `cannot inspect it: ${(error as Error).message}`
  }
  if (found.isSymbolicLink()) {
    try {
      found = await stat(absolute)
    } catch {
      // A dangling link: the rename replaces the link itself, as for a new path.
      return identifyNewPath(absolute)
    }
  }
  if (!found.isFile()) {
    return `it is ${describeFileKind(found)}, not a regular file; outputs must be regular files or new paths`
  }
  return { key: `${found.dev}:${found.ino}`, real: await realpath(absolute) }
}

async function identifyNewPath(absolute: string): Promise<Identity | string> {
  const folder = dirname(absolute)
  let folderStats: Stats
  try {
    folderStats = await stat(folder)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOTDIR')
      return `${await firstNonFolder(folder)} is a file, not a folder; choose another path`
    if (code === 'ENOENT')
      return `its folder ${folder} does not exist; create it first or choose another path`
    return `cannot inspect its folder: ${(error as Error).message}`
  }
  if (!folderStats.isDirectory()) return `${folder} is ${describeFileKind(folderStats)}, not a folder`
  try {
    await access(folder, constants.W_OK)
  } catch {
    return `its folder ${folder} is not writable; choose another path or fix the permissions`
  }
  const real = join(await realpath(folder), basename(absolute))
  return { key: `new:${real}`, real }
}

/** The nearest ancestor of `path` that exists but is not a folder (the culprit of ENOTDIR). */
async function firstNonFolder(path: string): Promise<string> {
  const ancestors: string[] = []
  for (let current = path; dirname(current) !== current; current = dirname(current))
    ancestors.unshift(current)
  for (const ancestor of ancestors) {
    const stats = await stat(ancestor).catch(() => undefined)
    if (stats && !stats.isDirectory()) return ancestor
  }
  return path
}

async function identifyInputs(inputs: readonly (string | undefined)[]): Promise<Input[]> {
  const identities: Input[] = []
  for (const path of inputs) {
    if (!path) continue
    const absolute = resolve(path)
    // A missing input is its loader's error to report; it cannot be clobbered.
    const stats = await stat(absolute).catch(() => undefined)
    if (!stats) continue
    const real = await realpath(absolute)
    identities.push({ path, key: `${stats.dev}:${stats.ino}`, real, folder: stats.isDirectory() })
  }
  return identities
}
