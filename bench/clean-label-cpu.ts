// CPU of `clean-label-backdoor` alone, two builds interleaved in one process, and whether they agree to the bit
// (docs/clean-label.md, "The two searches' cost with results unchanged"). Bundle and run it from the repository root:
//   npx esbuild bench/clean-label-cpu.ts --bundle --platform=node --format=esm --packages=external --outfile=node_modules/.cache/clean-label-cpu.mjs
//   node node_modules/.cache/clean-label-cpu.mjs OLD_DIST NEW_DIST data=shapes64,sig64,mnist runs=5
// Each build's `dist` is read as a folder holding `detectors/clean-label-backdoor/index.js`.
import { createHash } from 'node:crypto'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { applyAttack } from '../src/attacks/registry.js'
import type { Dataset } from '../src/data/dataset.js'
import { mnistBenchDataset } from '../src/evaluation/bench-data.js'
import { shapesDataset } from '../test/fixtures/shapes.js'

const [oldDist, newDist, ...rest] = process.argv.slice(2)
const options = Object.fromEntries(rest.map((argument) => argument.split('=')))
const names: string[] = (options.data ?? 'shapes64,sig64,mnist').split(',')
const runs = Number(options.runs ?? 5)

const builders: Record<string, () => Dataset> = {
  shapes64: () => shapesDataset({ side: 64, count: 1200, seed: 3 }),
  sig64: () =>
    applyAttack('label-consistent', shapesDataset({ side: 64, count: 1200 }), { target: 'circle' }, 1)
      .dataset,
  rgb32: () => shapesDataset({ side: 32, count: 1200, colour: true, seed: 1 }),
  mnist: () => mnistBenchDataset(),
}

async function load(dist: string) {
  const url = pathToFileURL(resolve(dist, 'detectors/clean-label-backdoor/index.js')).href
  return (await import(url)).cleanLabelBackdoorDetector
}

const detectors = [await load(oldDist), await load(newDist)]

/** The result's suspicion, flags, explanations and info, hashed: two builds agree when their digests do. */
function digest(result: {
  suspicion: Float32Array
  flagged: Uint8Array
  explanations: unknown[]
  info: unknown
}) {
  const hash = createHash('sha256')
  hash.update(Buffer.from(result.suspicion.buffer))
  hash.update(Buffer.from(result.flagged.buffer))
  hash.update(JSON.stringify(result.explanations))
  hash.update(JSON.stringify(result.info))
  return hash.digest('hex').slice(0, 16)
}

for (const name of names) {
  const dataset = builders[name]()
  const input = { rowCount: dataset.rowCount, labels: dataset.labels, dataset }
  const seconds: number[][] = [[], []]
  const digests = [new Set<string>(), new Set<string>()]
  for (let run = 0; run < runs; run++)
    for (const [index, detector] of detectors.entries()) {
      const before = process.cpuUsage()
      const result = await detector.run(input, detector.params.parse({}), { seed: 0 })
      const used = process.cpuUsage(before)
      seconds[index].push((used.user + used.system) / 1e6)
      digests[index].add(digest(result))
    }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]
  console.log(
    JSON.stringify({
      data: name,
      old: { median: median(seconds[0]), runs: seconds[0], digests: [...digests[0]] },
      new: { median: median(seconds[1]), runs: seconds[1], digests: [...digests[1]] },
    }),
  )
}
