import { readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

/*
 * The direction of dependencies, checked over the import graph of every source file, so a new file or folder
 * is covered the day it appears. The pure core (vocabulary, data, kernels, statistics, detectors, attacks,
 * the scan pipeline) does no I/O and knows nothing of its shells; shells (I/O, reports, drift checks,
 * provenance, the benchmark, the CLI) sit around it.
 */
const root = resolve(import.meta.dirname, '..')
const pureCore = new Set([
  'attacks',
  'crowd',
  'data',
  'detectors',
  'domain',
  'features',
  'linalg',
  'models',
  'robust',
  'scan',
  'stats',
  'text',
  'util',
  'errors.ts',
  'version.ts',
])
/** Packages the core may use: pure TypeScript that runs in a browser too. */
const corePackages = new Set(['zod'])
/** The one injected native backend, loaded lazily by `createDefaultBackend`. */
const nativeAdapters = [{ folder: 'src/linalg/onnx/', packages: new Set(['onnxruntime-node']) }]

interface ImportEdge {
  /** Importing file, relative to the repository root. */
  readonly file: string
  readonly specifier: string
  /** Imported file relative to the repository root for a relative specifier; undefined for a package. */
  readonly target?: string
}

/** Static imports and re-exports (names and braces before `from`), side-effect and dynamic imports. */
const importPatterns = [
  /^\s*(?:import|export)\s[\w$*\s{},]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
]

function listFiles(folder: string): string[] {
  return readdirSync(join(root, folder), { withFileTypes: true }).flatMap((entry) => {
    const path = `${folder}/${entry.name}`
    if (entry.isDirectory()) return listFiles(path)
    return /\.(ts|mts|js|mjs)$/.test(entry.name) ? [path] : []
  })
}

function importsOf(file: string): ImportEdge[] {
  const source = readFileSync(join(root, file), 'utf8')
  const specifiers = importPatterns.flatMap((pattern) =>
    [...source.matchAll(pattern)].map((match) => match[1]),
  )
  return specifiers.map((specifier) => ({
    file,
    specifier,
    target: specifier.startsWith('.')
      ? relative(root, resolve(root, dirname(file), specifier)).replace(/\.js$/, '.ts')
      : undefined,
  }))
}

/** The part of `src` a file belongs to: its top folder, or the file itself (`errors.ts`, `version.ts`). */
function moduleOf(path: string): string | undefined {
  const parts = path.split('/')
  return parts[0] === 'src' ? parts[1] : undefined
}

function isTest(file: string): boolean {
  return /\.test\.ts$/.test(file) || file.startsWith('test/')
}

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0])
}

function packageName(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

const sourceEdges = listFiles('src')
  .filter((file) => !isTest(file))
  .flatMap(importsOf)
const testEdges = [...listFiles('src').filter(isTest), ...listFiles('test')].flatMap(importsOf)

/** Every import edge reachable from one entry file, following relative imports (static and dynamic). */
function importGraphOf(entry: string): ImportEdge[] {
  const seen = new Set([entry])
  const edges: ImportEdge[] = []
  const pending = [entry]
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    for (const edge of importsOf(file)) {
      edges.push(edge)
      if (edge.target && !seen.has(edge.target)) {
        seen.add(edge.target)
        pending.push(edge.target)
      }
    }
  }
  return edges
}

function describeEdges(edges: readonly ImportEdge[]): string[] {
  return edges.map((edge) => `${edge.file} imports ${edge.specifier}`)
}

describe('layering', () => {
  it('finds the imports it checks', () => {
    expect(sourceEdges.length).toBeGreaterThan(500)
    expect(sourceEdges).toContainEqual({
      file: 'src/scan/scan.ts',
      specifier: '../detectors/registry.js',
      target: 'src/detectors/registry.ts',
    })
  })

  it('keeps the pure core to itself: no shell, no I/O, no native package', () => {
    const violations = sourceEdges.filter((edge) => {
      const from = moduleOf(edge.file)
      if (!from || !pureCore.has(from)) return false
      if (edge.target) return !pureCore.has(moduleOf(edge.target) ?? '')
      const adapter = nativeAdapters.find((candidate) => edge.file.startsWith(candidate.folder))
      if (adapter?.packages.has(packageName(edge.specifier))) return false
      return isBuiltin(edge.specifier) || !corePackages.has(packageName(edge.specifier))
    })
    expect(describeEdges(violations)).toEqual([])
  })

  it('keeps the browser entry poisonguard/core free of Node built-ins and native packages', () => {
    const graph = importGraphOf('src/core.ts')
    expect(graph).toContainEqual({
      file: 'src/scan/scan.ts',
      specifier: '../detectors/registry.js',
      target: 'src/detectors/registry.ts',
    })
    const violations = graph.filter(
      (edge) => !edge.target && (isBuiltin(edge.specifier) || !corePackages.has(packageName(edge.specifier))),
    )
    expect(describeEdges(violations)).toEqual([])
  })

  it('keeps detectors off the drift checks', () => {
    const violations = sourceEdges.filter(
      (edge) => moduleOf(edge.file) === 'detectors' && edge.target && moduleOf(edge.target) === 'drift',
    )
    expect(describeEdges(violations)).toEqual([])
  })

  it('lets nothing but the CLI itself and its tests import src/cli', () => {
    const fromSource = sourceEdges.filter(
      (edge) => edge.target?.startsWith('src/cli/') && moduleOf(edge.file) !== 'cli',
    )
    const fromTests = testEdges.filter(
      (edge) =>
        edge.target?.startsWith('src/cli/') &&
        !edge.file.startsWith('test/cli/') &&
        moduleOf(edge.file) !== 'cli',
    )
    expect(describeEdges([...fromSource, ...fromTests])).toEqual([])
  })

  it('has no cycle between the parts of src', () => {
    const dependsOn = new Map<string, Set<string>>()
    for (const edge of sourceEdges) {
      const from = moduleOf(edge.file)
      const to = edge.target && moduleOf(edge.target)
      if (!from || !to || from === to) continue
      if (!dependsOn.has(from)) dependsOn.set(from, new Set())
      dependsOn.get(from)!.add(to)
    }
    const reaches = (from: string, to: string, seen = new Set<string>()): boolean => {
      for (const next of dependsOn.get(from) ?? []) {
        if (next === to) return true
        if (!seen.has(next)) {
          seen.add(next)
          if (reaches(next, to, seen)) return true
        }
      }
      return false
    }
    const cycles = [...dependsOn].flatMap(([from, targets]) =>
      [...targets].filter((to) => reaches(to, from)).map((to) => `${from} → ${to} → … → ${from}`),
    )
    expect(cycles).toEqual([])
  })
})
