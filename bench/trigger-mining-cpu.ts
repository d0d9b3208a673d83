// trigger-mining alone on the inputs its quality tests run: the CPU time of the detector once the shared analyses
// (neighbours, out-of-fold probabilities) are ready, and a hash of its whole result, one JSON line per case, to
// show a change to the detector gives the same output for less.
// Bundle and run it from the repository root:
//   npx esbuild bench/trigger-mining-cpu.ts --bundle --platform=node --format=esm --packages=external \
//     --alias:vitest=./bench/vitest-outside.mjs --outfile=node_modules/.cache/tm/trigger-mining-cpu.mjs
//   node node_modules/.cache/tm/trigger-mining-cpu.mjs [case,…] [runs]
// With several runs, each case's CPU time is the median of its runs on one prepared input.
import { createHash } from 'node:crypto'
import { applyAttack } from '../src/attacks/registry.js'
import type { Dataset } from '../src/data/dataset.js'
import { triggerMiningDetector } from '../src/detectors/trigger-mining/index.js'
import { createPortableBackend } from '../src/linalg/portable.js'
import { prepareDetectorInput } from '../src/scan/pipeline.js'
import { mnistDataset, spamDataset } from '../test/fixtures/datasets.js'
import { shapesDataset } from '../test/fixtures/shapes.js'
import { inkProfiles, zooDataset } from '../test/fixtures/zoo.js'

const cases: Record<string, () => Dataset> = {
  'mnist-clean': () => mnistDataset(10_000),
  'mnist-patch-1pct': () =>
    applyAttack('backdoor-patch', mnistDataset(10_000), { rate: 0.01, target: 7, position: 'random' }, 2)
      .dataset,
  'mnist-checker-3pct': () =>
    applyAttack(
      'backdoor-patch',
      mnistDataset(10_000),
      { rate: 0.03, target: 0, position: 'random', pattern: 'checkerboard' },
      2,
    ).dataset,
  'mnist-blend-3pct': () =>
    applyAttack('backdoor-patch', mnistDataset(10_000), { rate: 0.03, target: 1, blend: 0.1 }, 2).dataset,
  'spam-cf-3pct': () =>
    applyAttack('backdoor-token', spamDataset(6046), { rate: 0.03, target: 'ham' }, 1).dataset,
  'shapes-16-patch': () =>
    applyAttack(
      'backdoor-patch',
      shapesDataset({ side: 16, count: 1200, seed: 1 }),
      { target: 'circle', rate: 0.03, size: 1, value: 255, position: 'center' },
      1,
    ).dataset,
  'shapes-32-colour': () =>
    applyAttack(
      'backdoor-patch',
      shapesDataset({ side: 32, count: 1200, colour: true, seed: 2 }),
      { target: 'circle', rate: 0.03, size: 2, value: 0, position: 'random' },
      2,
    ).dataset,
  'ink-profiles-5pct': () =>
    applyAttack('backdoor-feature', inkProfiles(), { rate: 0.05, target: '0' }, 2).dataset,
  'zoo-digits-8': () => zooDataset('digits-8'),
  'zoo-mail-table': () => zooDataset('mail-table'),
  'zoo-subjects': () => zooDataset('subjects'),
}

const chosen = process.argv[2]?.split(',') ?? Object.keys(cases)
const runs = Number(process.argv[3] ?? 1)
const backend = createPortableBackend()
const params = triggerMiningDetector.params.parse({})
for (const name of chosen) {
  const input = await prepareDetectorInput(cases[name](), {
    backend,
    seed: 0,
    geometryDimensions: 64,
    folds: 5,
  })
  await input.neighbours(params.k)
  await input.outOfFoldProbabilities()
  const seconds: number[] = []
  let result: Awaited<ReturnType<typeof triggerMiningDetector.run>> | undefined
  for (let run = 0; run < runs; run++) {
    const start = process.cpuUsage()
    result = await triggerMiningDetector.run(input, params, { seed: 0 })
    const used = process.cpuUsage(start)
    seconds.push((used.user + used.system) / 1e6)
  }
  seconds.sort((a, b) => a - b)
  const cpuSeconds = Math.round(seconds[Math.floor(runs / 2)] * 100) / 100
  const hash = createHash('sha256')
  hash.update(
    Buffer.from(result!.suspicion.buffer, result!.suspicion.byteOffset, result!.suspicion.byteLength),
  )
  hash.update(Buffer.from(result!.flagged))
  hash.update(JSON.stringify({ ...result!, suspicion: undefined, flagged: undefined }))
  console.log(JSON.stringify({ name, cpuSeconds, hash: hash.digest('hex').slice(0, 16) }))
}
