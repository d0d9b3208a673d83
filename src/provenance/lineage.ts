import type { KeyObject } from 'node:crypto'
import { dirname } from 'node:path'
import { isPoisonguardError } from '../errors.js'
import { type SignatureStatus, verifyEnvelope } from './dsse.js'
import { readPublicKey } from './keys.js'
import { type ManifestFile, readManifestFile } from './manifest-file.js'
import { ManifestSearch } from './manifest-search.js'
import type { ManifestPredicate, ResourceDescriptor } from './statement.js'

/** One manifest in a lineage graph. */
export interface LineageNode {
  path: string
  sha256: string
  subject: ResourceDescriptor[]
  recordCount: number
  merkleRoot: string
  transform: ManifestPredicate['transform']
  createdAt: string
  signature: SignatureStatus | { status: 'unchecked' }
  parents: LineageLink[]
}

/** A child→parent edge: the recorded digest and what was found for it. */
export interface LineageLink {
  /** The parent's path as recorded, relative to the child manifest's folder. */
  name: string
  expectedSha256: string
  status: 'ok' | 'digest-mismatch' | 'missing' | 'unreadable'
  /** Where the parent was found (or the mismatching file). */
  path?: string
  actualSha256?: string
  message?: string
  /** The parent's own node; a parent reached twice (a DAG) has it only the first time, and `seenBefore` after. */
  node?: LineageNode
  seenBefore?: boolean
}

/** A lineage walk: the root node and every broken link or bad signature, described. */
export interface Lineage {
  ok: boolean
  root: LineageNode
  failures: string[]
}

/** Options of `traceLineage`. */
export interface LineageOptions {
  /**
   * Where parents may be found, matched by digest: manifest files, or folders whose regular `.json` files are
   * searched (not recursively). The folder of the manifest being traced is always searched.
   */
  candidates?: readonly string[]
  publicKeyPath?: string
  publicKey?: KeyObject
}

/**
 * Walks a manifest's parents recursively and checks every link: a parent is the file whose SHA-256 equals the
 * digest the child recorded, among the manifests the caller pointed at (`candidates` and the traced manifest's own
 * folder). The names a manifest records are only compared with the names of those files, never opened, so an
 * unsigned or forged manifest cannot make the walk read a device, a FIFO or a file outside what was given. With
 * a public key, every manifest's signature is checked too.
 */
export async function traceLineage(manifestPath: string, options: LineageOptions = {}): Promise<Lineage> {
  const publicKey =
    options.publicKey ?? (options.publicKeyPath ? await readPublicKey(options.publicKeyPath) : undefined)
  const root = await readManifestFile(manifestPath)
  const search = await ManifestSearch.over([...(options.candidates ?? [])], dirname(manifestPath))
  const walker = new LineageWalker(search, publicKey)
  const node = await walker.node(root)
  return { ok: walker.failures.length === 0, root: node, failures: walker.failures }
}

class LineageWalker {
  readonly failures: string[] = []
  private readonly visited = new Map<string, LineageNode>()

  constructor(
    private readonly search: ManifestSearch,
    private readonly publicKey: KeyObject | undefined,
  ) {}

  async node(manifest: ManifestFile): Promise<LineageNode> {
    const predicate = manifest.statement.predicate
    const node: LineageNode = {
      path: manifest.path,
      sha256: manifest.sha256,
      subject: manifest.statement.subject,
      recordCount: predicate.records.count,
      merkleRoot: predicate.records.merkleRoot,
      transform: predicate.transform,
      createdAt: predicate.createdAt,
      signature: this.publicKey
        ? verifyEnvelope(manifest.envelope, manifest.payload, this.publicKey)
        : { status: 'unchecked' },
      parents: [],
    }
    this.visited.set(manifest.sha256, node)
    if (node.signature.status !== 'valid' && node.signature.status !== 'unchecked')
      this.failures.push(`${manifest.path}: signature ${node.signature.status}`)
    for (const parent of predicate.parents) node.parents.push(await this.link(manifest.path, parent))
    return node
  }

  private async link(childPath: string, parent: ManifestPredicate['parents'][number]): Promise<LineageLink> {
    const expected = parent.digest.sha256
    const link: LineageLink = { name: parent.name, expectedSha256: expected, status: 'missing' }
    const seen = this.visited.get(expected)
    if (seen) return { ...link, status: 'ok', path: seen.path, actualSha256: expected, seenBefore: true }
    const found = await this.search.locate(expected, parent.name)
    if (!found) {
      link.message = `${childPath}: parent ${parent.name} not found by its digest in ${this.search.describe()}; pass it as an extra argument, or its folder`
      this.failures.push(link.message)
      return link
    }
    if (found.sha256 === expected) return this.follow(link, childPath, found.path)
    return this.mismatch(link, childPath, found)
  }

  private async follow(link: LineageLink, childPath: string, path: string): Promise<LineageLink> {
    try {
      const manifest = await readManifestFile(path)
      // Read again after hashing: a file replaced in between is a mismatch, never a parent.
      if (manifest.sha256 !== link.expectedSha256) return this.mismatch(link, childPath, manifest)
      link.path = path
      link.actualSha256 = manifest.sha256
      link.node = await this.node(manifest)
      link.status = 'ok'
    } catch (error) {
      if (!isPoisonguardError(error)) throw error
      link.path = path
      link.status = 'unreadable'
      link.message = `${path}: ${error.message}`
      this.failures.push(link.message)
    }
    return link
  }

  private mismatch(
    link: LineageLink,
    childPath: string,
    found: { path: string; sha256: string },
  ): LineageLink {
    link.status = 'digest-mismatch'
    link.path = found.path
    link.actualSha256 = found.sha256
    link.message = `${childPath}: parent ${found.path} has sha256 ${found.sha256}, but the child recorded ${link.expectedSha256} (the parent was altered or replaced)`
    this.failures.push(link.message)
    return link
  }
}
