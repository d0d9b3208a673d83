// `node bench/crowd.mjs [--items=100000] [--per-item=10]` (after `npx tsc -p tsconfig.build.json`): simulates a
// crowd (200 annotators of accuracy 0.55–0.95, 10% of them colluding), times Dawid–Skene on the answers in memory,
// then `crowdFile` end to end on a CSV of them in a fresh process (reading, fitting, the adversary and collusion
// search, the refit, writing). Prints one JSON object on stdout.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const argument = (name, fallback) =>
  Number(process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1] ?? fallback)
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const classCount = 4
const annotatorCount = 200

async function simulate(items, perItem) {
  const { simulateCrowd, spreadAccuracies } = await import('../dist/crowd/index.js')
  const annotators = spreadAccuracies(annotatorCount, 0.55, 0.95).map((accuracy, j) =>
    j % 10 === 0 ? { kind: 'colluder', accuracy: 0.9, victim: 1, target: 0 } : { kind: 'honest', accuracy },
  )
  const truth = Int32Array.from({ length: items }, (_, i) => (i * 7919) % classCount)
  return {
    ...simulateCrowd(truth, classCount, annotators, perItem, 1),
    colluders: annotators.map((a) => a.kind === 'colluder'),
  }
}

async function child(path) {
  const { crowdFile } = await import('../dist/workflows/crowd-file.js')
  const started = performance.now()
  const { report } = await crowdFile({
    input: path,
    out: `${path}.consensus.csv`,
    report: `${path}.report.json`,
  })
  const seconds = (performance.now() - started) / 1000
  const flagged = report.annotators
    .filter((entry) => entry.flagged)
    .map((entry) => Number(entry.annotator.slice(6)))
  const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024)
  process.stdout.write(`${JSON.stringify({ seconds, maxRssMiB, flagged, groups: report.groups.length })}\n`)
}

async function main() {
  const items = argument('items', 100_000)
  const perItem = argument('per-item', 10)
  const { table, truth, colluders } = await simulate(items, perItem)
  const { fitDawidSkene, majorityVotePosterior, accuracyOf } = await import('../dist/crowd/index.js')
  const times = []
  let fit
  for (let run = 0; run < 3; run++) {
    const started = performance.now()
    fit = fitDawidSkene(table)
    times.push((performance.now() - started) / 1000)
  }
  const vote = majorityVotePosterior(table)
  const voteLabels = new Int32Array(items)
  for (let i = 0; i < items; i++) {
    let best = 0
    for (let k = 1; k < classCount; k++) if (vote[i * classCount + k] > vote[i * classCount + best]) best = k
    voteLabels[i] = best
  }
  const folder = mkdtempSync(join(tmpdir(), 'poisonguard-crowd-'))
  try {
    const path = join(folder, 'answers.csv')
    const lines = ['item,annotator,label,timestamp']
    for (let a = 0; a < table.item.length; a++)
      lines.push(
        `${table.itemIds[table.item[a]]},${table.annotatorIds[table.annotator[a]]},${table.classes[table.label[a]]},${table.time[a]}`,
      )
    writeFileSync(path, `${lines.join('\n')}\n`)
    const output = execFileSync(process.execPath, [process.argv[1], '--child', path], { encoding: 'utf8' })
    const endToEnd = JSON.parse(output)
    const colluderCount = colluders.filter(Boolean).length
    const found = endToEnd.flagged.filter((j) => colluders[j]).length
    process.stdout.write(
      `${JSON.stringify({
        answers: table.item.length,
        items,
        annotators: annotatorCount,
        classes: classCount,
        csvMiB: Number((statSync(path).size / 2 ** 20).toFixed(1)),
        dawidSkeneSeconds: median(times),
        iterations: fit.iterations,
        dawidSkeneAccuracy: accuracyOf(fit.label, truth),
        majorityVoteAccuracy: accuracyOf(voteLabels, truth),
        endToEnd: { seconds: endToEnd.seconds, maxRssMiB: endToEnd.maxRssMiB, groups: endToEnd.groups },
        colluders: { total: colluderCount, found, honestFlagged: endToEnd.flagged.length - found },
      })}\n`,
    )
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

if (process.argv[2] === '--child') await child(process.argv[3])
else await main()
