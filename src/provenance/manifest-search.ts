import { hash } from 'node:crypto'
import type { Dirent } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { isPoisonguardError, PoisonguardError } from '../errors.js'
import { statOrThrow } from '../io/files.js'
import { describeFileKind, readRegularFile } from '../io/regular-file.js'
import { MAX_MANIFEST_BYTES } from './manifest-file.js'

interface Candidate {
  path: string
  /** Named by the user: a problem reading it is an error; files found by listing a folder are skipped instead. */
  explicit: boolean
}

/** A file found for a recorded parent: the one with the recorded digest, else one with the recorded name. */
export interface FoundManifest {
  path: string
  sha256: string
}

/**
 * The manifests a lineage walk may read: files the user named and the regular `.json` files of folders the user
 * named, each read only if it is a regular file of at most `MAX_MANIFEST_BYTES`. Parents are looked up here by
 * digest, so nothing a manifest records can make the walk open another path.
 */
export class ManifestSearch {
  private digests?: Promise<Map<string, string>>

  private constructor(
    private readonly candidates: readonly Candidate[],
    private readonly folders: readonly string[],
  ) {}

  /** Files and folders to search; `defaultFolder` (the traced manifest's own) is always searched. */
  static async over(paths: readonly string[], defaultFolder: string): Promise<ManifestSearch> {
    const files: Candidate[] = []
    const folders = [defaultFolder]
    for (const path of paths) {
      const stats = await statOrThrow(path)
      if (stats.isDirectory()) folders.push(path)
      else if (stats.isFile()) files.push({ path, explicit: true })
      else {
        throw PoisonguardError.at(
          'INVALID_ARGUMENT',
          { file: path },
          `expected a manifest file or a folder of manifests, found ${describeFileKind(stats)}`,
        )
      }
    }
    for (const folder of folders) files.push(...(await listJsonFiles(folder)))
    const unique = new Map<string, Candidate>()
    for (const file of files) if (!unique.has(resolve(file.path))) unique.set(resolve(file.path), file)
    return new ManifestSearch([...unique.values()], folders)
  }

  /** The file whose bytes hash to `sha256`; else a file with the recorded name (the caller reports a mismatch). */
  async locate(sha256: string, recordedName: string): Promise<FoundManifest | undefined> {
    const digests = await this.index()
    for (const [path, digest] of digests) if (digest === sha256) return { path, sha256 }
    const name = basename(recordedName.replaceAll('\\', '/'))
    for (const [path, digest] of digests) if (basename(path) === name) return { path, sha256: digest }
    return undefined
  }

  /** Where the search looked, for messages. */
  describe(): string {
    const extra = this.candidates.some((candidate) => candidate.explicit)
      ? ' and the extra manifests given'
      : ''
    return `${this.folders.join(', ')}${extra}`
  }

  private index(): Promise<Map<string, string>> {
    this.digests ??= digestAll(this.candidates)
    return this.digests
  }
}

async function digestAll(candidates: readonly Candidate[]): Promise<Map<string, string>> {
  const digests = new Map<string, string>()
  for (const { path, explicit } of candidates) {
    try {
      const bytes = await readRegularFile(path, {
        maxBytes: MAX_MANIFEST_BYTES,
        noFollow: !explicit,
        what: 'manifest',
      })
      digests.set(path, hash('sha256', bytes, 'hex'))
    } catch (error) {
      if (explicit || !isPoisonguardError(error)) throw error
    }
  }
  return digests
}

/** Regular `.json` files directly in `folder`; links, FIFOs, devices and subfolders are left out unopened. */
async function listJsonFiles(folder: string): Promise<Candidate[]> {
  let entries: Dirent[]
  try {
    entries = await readdir(folder, { withFileTypes: true })
  } catch (error) {
    throw PoisonguardError.at(
      'FILE_NOT_FOUND',
      { file: folder },
      `cannot list the folder: ${(error as Error).message}`,
    )
  }
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
    .map((entry) => ({ path: join(folder, entry.name), explicit: false }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}
