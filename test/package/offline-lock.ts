/*
 * A lockfile for a fresh project that depends on the packed tarball, cut from this repository's own lockfile: with
 * exact versions and integrities npm installs from its cache alone, without asking the registry for metadata.
 */

interface LockEntry {
  version?: string
  integrity?: string
  resolved?: string
  optional?: boolean
  dev?: boolean
  devOptional?: boolean
  peer?: boolean
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  [field: string]: unknown
}

export interface Lockfile {
  lockfileVersion: number
  packages: Record<string, LockEntry>
}

/** The folder `node_modules/a/node_modules/b` resolves from after its own: `node_modules/a`, then the root. */
function parentOf(path: string): string {
  const nested = path.lastIndexOf('/node_modules/')
  return nested < 0 ? '' : path.slice(0, nested)
}

function requiredPeers(entry: LockEntry): string[] {
  return Object.keys(entry.peerDependencies ?? {}).filter(
    (name) => !entry.peerDependenciesMeta?.[name]?.optional,
  )
}

/** Every lock entry a package's runtime dependencies reach, marked optional when only optional edges reach it. */
function runtimeClosure(lock: Lockfile, manifest: LockEntry): Map<string, LockEntry> {
  const picked = new Map<string, LockEntry>()
  const visit = (from: string, name: string, optional: boolean): void => {
    let base = from
    let path = `${base ? `${base}/` : ''}node_modules/${name}`
    while (!lock.packages[path]) {
      // Not in the lock: an optional dependency of another platform that npm never recorded.
      if (!base) return
      base = parentOf(base)
      path = `${base ? `${base}/` : ''}node_modules/${name}`
    }
    const previous = picked.get(path)
    if (previous && (optional || !previous.optional)) return
    const { dev, devOptional, peer, optional: _, ...entry } = lock.packages[path]
    picked.set(path, optional ? { ...entry, optional: true } : entry)
    walk(path, entry, optional)
  }
  const walk = (from: string, entry: LockEntry, optional: boolean): void => {
    for (const name of [...Object.keys(entry.dependencies ?? {}), ...requiredPeers(entry)])
      visit(from, name, optional)
    for (const name of Object.keys(entry.optionalDependencies ?? {})) visit(from, name, true)
  }
  walk('', manifest, false)
  return picked
}

/** The lockfile of a project whose one dependency is `tarball` (a file beside its package.json). */
export function lockfileForTarball(
  repositoryLock: Lockfile,
  manifest: LockEntry & { name: string },
  tarball: { file: string; integrity: string },
): Lockfile {
  const spec = `file:${tarball.file}`
  const { name, version, dependencies, optionalDependencies, peerDependencies, peerDependenciesMeta } =
    manifest
  return {
    lockfileVersion: 3,
    packages: {
      '': { name: 'consumer', dependencies: { [name]: spec } },
      [`node_modules/${name}`]: {
        version,
        resolved: spec,
        integrity: tarball.integrity,
        dependencies,
        optionalDependencies,
        peerDependencies,
        peerDependenciesMeta,
      },
      ...Object.fromEntries(runtimeClosure(repositoryLock, manifest)),
    },
  }
}
