// The grid of small patch backdoors on the noisy shapes (docs/zoo.md, "Small triggers on noisy shapes: the whole
// grid"): `trigger-mining` alone, its average precision at ranking the planted records, one JSON line per case.
// Bundle and run it from the repository root:
//   npx esbuild bench/patch-grid.ts --bundle --platform=node --format=esm --packages=external --outfile=node_modules/.cache/grid/patch-grid.mjs
//   node node_modules/.cache/grid/patch-grid.mjs side=16,32 colour=0 size=1 value=255 position=center rate=0.03 seed=1,2,3
// Every axis defaults to its full range; `below=0.95` prints only the cases under that AP.
import { applyAttack } from '../src/attacks/registry.js'
import type { Dataset } from '../src/data/dataset.js'
import { triggerMiningDetector } from '../src/detectors/trigger-mining/index.js'
import { averagePrecision } from '../src/evaluation/metrics.js'
import { createDefaultBackend } from '../src/linalg/default-backend.js'
import { prepareDetectorInput } from '../src/scan/pipeline.js'
import { poisonMask } from '../test/fixtures/poison.js'
import { shapesDataset } from '../test/fixtures/shapes.js'

const positions = {
  middle: { position: 'center' },
  corner: { position: 'top-left', margin: 0 },
  'one-in': { position: 'top-left', margin: 1 },
  random: { position: 'random' },
} as const

const axes: Record<string, string[]> = {
  side: ['8', '16', '32', '64'],
  colour: ['0', '1'],
  size: ['1', '2', '3'],
  value: ['0', '255', '128'],
  position: Object.keys(positions),
  rate: ['0.02', '0.03', '0.05'],
  seed: ['1', '2', '3'],
  below: ['1.01'],
}
for (const argument of process.argv.slice(2)) {
  const [axis, values] = argument.split('=')
  if (!(axis in axes))
    throw new Error(`unknown axis ${axis}; expected one of ${Object.keys(axes).join(', ')}`)
  axes[axis] = values.split(',')
}

const backend = await createDefaultBackend()
const below = Number(axes.below[0])
for (const side of axes.side.map(Number))
  for (const colour of axes.colour.map((flag) => flag === '1'))
    for (const seed of axes.seed.map(Number)) {
      const shapes = shapesDataset({ side, count: 1200, colour, seed })
      for (const size of axes.size.map(Number))
        for (const value of axes.value.map(Number))
          for (const position of axes.position as (keyof typeof positions)[])
            for (const rate of axes.rate.map(Number)) {
              if (size >= side) continue
              const ranking = await rankPatch(shapes, { rate, size, value, ...positions[position] }, seed)
              if (ranking.ap < below)
                console.log(JSON.stringify({ side, colour, size, value, position, rate, seed, ...ranking }))
            }
    }
await backend.dispose()

async function rankPatch(shapes: Dataset, params: object, seed: number) {
  const run = applyAttack('backdoor-patch', shapes, { target: 'circle', ...params }, seed)
  const input = await prepareDetectorInput(run.dataset, { backend, seed: 0, folds: 5 })
  const result = await triggerMiningDetector.run(input, triggerMiningDetector.params.parse({}), { seed: 0 })
  const poisoned = poisonMask(shapes.rowCount, run.poisonedRows)
  const ap = averagePrecision(Array.from(result.suspicion), poisoned)
  return { ap: Math.round(ap * 1000) / 1000, triggers: (result.attacks ?? []).length }
}
