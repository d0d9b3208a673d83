import { randomBytes } from 'node:crypto'
import { renameSync, rmSync } from 'node:fs'
import { chmod, link, lstat, rename, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { isPoisonguardError, PoisonguardError } from '../errors.js'
import { cleanUpOnInterrupt } from './interrupt.js'
import { checkOutputs, describeOutput, type OutputTarget } from './output-safety.js'
import { describeFileKind } from './regular-file.js'

/** One output of a command: either bytes to write or a function that writes the file (or folder) at a path. */
export type OutputFile = OutputTarget & { mode?: number } & (
    | { contents: string | Uint8Array }
    | { write: (temporaryPath: string) => Promise<void> }
  )

/** Options of `writeOutputsAtomically`. */
export interface WriteOutputsOptions {
  /** Every file or folder the command reads: no output may be one of them or lie inside one. */
  inputs?: readonly (string | undefined)[]
}

/** A hidden, unique path beside `path`, so the final rename stays on one file system and is atomic. */
function tempPathBeside(path: string, suffix = 'tmp'): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.${suffix}`)
}

interface Entry {
  output: OutputFile
  target: string
  temporary: string
  /** The replaced file, kept until every output is in place so a failure can put it back. */
  backup?: string
  /** The replaced file was renamed away rather than hard-linked, so the target is empty until the commit. */
  movedAside?: boolean
  committed: boolean
}

/**
 * Writes all outputs of a command or none. The outputs are checked first (`checkOutputs`: never an input, a
 * device, a FIFO or another output), then each is staged in a hidden temporary file beside its target, and only
 * when every one is complete are they renamed into place. A file being replaced is kept as a backup until the end:
 * if a later rename fails, the earlier ones are undone and the replaced files restored. SIGINT or SIGTERM during
 * the write undoes it the same way before the process ends. File system errors become OUTPUT_ERROR.
 */
export async function writeOutputsAtomically(
  outputs: readonly OutputFile[],
  options: WriteOutputsOptions = {},
): Promise<void> {
  await checkOutputs(outputs, options.inputs)
  const transaction = new OutputTransaction()
  const release = cleanUpOnInterrupt(() => transaction.rollBack())
  try {
    for (const output of outputs) await transaction.stage(output)
    await transaction.commit()
  } catch (error) {
    const problems = transaction.rollBack()
    throw asOutputError(error, transaction.current, problems)
  } finally {
    release()
  }
}

class OutputTransaction {
  private entries: Entry[] = []
  /** The output being staged or committed when something failed. */
  current?: OutputFile

  async stage(output: OutputFile): Promise<void> {
    const target = resolve(output.path)
    const entry: Entry = { output, target, temporary: tempPathBeside(target), committed: false }
    this.entries.push(entry)
    this.current = output
    if ('contents' in output)
      await writeFile(entry.temporary, output.contents, { flag: 'wx', mode: output.mode ?? 0o666 })
    else await output.write(entry.temporary)
    // The umask may have cleared bits the caller asked for (a public key's 0644).
    if (output.mode !== undefined) await chmod(entry.temporary, output.mode)
  }

  async commit(): Promise<void> {
    for (const entry of this.entries) {
      this.current = entry.output
      await setAside(entry)
      await rename(entry.temporary, entry.target)
      entry.committed = true
    }
    this.current = undefined
    for (const entry of this.entries) if (entry.backup) rmSync(entry.backup, { force: true })
    this.entries = []
  }

  /**
   * Undoes everything, newest first: restores replaced files, removes committed new ones and every temporary
   * file. Synchronous, so it also runs from a signal handler; returns what could not be undone.
   */
  rollBack(): string[] {
    const problems: string[] = []
    for (const entry of this.entries.reverse()) {
      try {
        undo(entry)
      } catch (error) {
        problems.push(`${entry.output.path}: ${(error as Error).message}`)
      }
    }
    this.entries = []
    return problems
  }
}

/**
 * Keeps the file about to be replaced: a hard link leaves it in place until the atomic rename. It is renamed away
 * instead where the file system has no hard links, and for a folder output, which cannot be renamed over a file.
 */
async function setAside(entry: Entry): Promise<void> {
  const existing = await lstat(entry.target).catch(() => undefined)
  if (!existing) return
  if (!existing.isFile() && !existing.isSymbolicLink()) {
    throw PoisonguardError.at(
      'OUTPUT_ERROR',
      { file: describeOutput(entry.output) },
      `${describeFileKind(existing)} appeared at the output path while writing; nothing was written`,
    )
  }
  entry.backup = tempPathBeside(entry.target, 'bak')
  const folder = (await lstat(entry.temporary)).isDirectory()
  if (!folder) {
    const linked = await link(entry.target, entry.backup).then(
      () => true,
      () => false,
    )
    if (linked) return
  }
  await rename(entry.target, entry.backup)
  entry.movedAside = true
}

function undo(entry: Entry): void {
  const { target, backup } = entry
  if (!entry.committed) {
    rmSync(entry.temporary, { recursive: true, force: true })
    if (backup && entry.movedAside) renameSync(backup, target)
    else if (backup) rmSync(backup, { force: true })
    return
  }
  if (!backup) {
    rmSync(target, { recursive: true, force: true })
    return
  }
  try {
    renameSync(backup, target)
  } catch {
    // A folder output cannot be renamed over: remove it first.
    rmSync(target, { recursive: true, force: true })
    renameSync(backup, target)
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENOENT: 'a file or folder it needs disappeared while writing',
  EISDIR: 'a folder is in the way',
  ENOTEMPTY: 'a folder is in the way',
  EEXIST: 'a file appeared in the way',
  ENAMETOOLONG: 'the path is too long',
  EMFILE: 'too many files are open',
  EIO: 'the disk reported an input/output error',
}

function asOutputError(error: unknown, output: OutputFile | undefined, problems: string[]): unknown {
  const leftOver = problems.length > 0 ? `; could not undo: ${problems.join('; ')}` : ''
  if (isPoisonguardError(error)) {
    if (!leftOver) return error
    return new PoisonguardError(error.code, `${error.message}${leftOver}`, {
      issues: [...error.issues],
      hint: error.hint,
      cause: error,
    })
  }
  const code = (error as NodeJS.ErrnoException)?.code
  const reason = (code && REASONS[code]) ?? (error as Error)?.message ?? String(error)
  const where = output ? describeOutput(output) : 'output'
  return PoisonguardError.at(
    'OUTPUT_ERROR',
    { file: where },
    `could not write it: ${reason}${code ? ` (${code})` : ''}${leftOver}`,
    'no output was written; free some space, fix the permissions or choose another path',
  )
}
