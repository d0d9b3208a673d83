// Renders the results of bench/scale.mjs as the BENCHMARKS.md section; shared by it and `npm run bench`.

// Times under this are mostly start-up and noise; no exponent is fitted to them.
const minimumSeconds = 0.05

/** Least-squares slope of log(seconds) against log(rows): cost grows about as rows^slope. */
export function fitExponent(points) {
  const usable = points.filter(([, seconds]) => seconds >= minimumSeconds)
  if (usable.length < 2) return undefined
  const xs = usable.map(([rows]) => Math.log(rows))
  const ys = usable.map(([, seconds]) => Math.log(seconds))
  const meanX = xs.reduce((a, b) => a + b, 0) / xs.length
  const meanY = ys.reduce((a, b) => a + b, 0) / ys.length
  let covariance = 0
  let variance = 0
  xs.forEach((x, index) => {
    covariance += (x - meanX) * (ys[index] - meanY)
    variance += (x - meanX) ** 2
  })
  return covariance / variance
}

const format = (seconds) =>
  seconds === undefined ? '—' : seconds < 10 ? seconds.toFixed(2) : seconds.toFixed(1)
/** Wall and CPU seconds of every phase and detector of a run, added up. */
const total = (run) =>
  [...Object.values(run.phases), ...Object.values(run.detectors)].reduce(
    ([wall, cpu], [seconds, cpuSeconds]) => [wall + seconds, cpu + cpuSeconds],
    [0, 0],
  )
const cell = (times) => (times === undefined ? '—' : `${format(times[0])} / ${format(times[1])}`)

/** Slope between the two largest sizes, where a fit over all of them would hide a late turn upwards. */
function lastStepExponent(points) {
  if (points.length < 3) return undefined
  return fitExponent(points.slice(-2))
}

const titles = {
  mnist: 'MNIST tiled with pixel noise (784 columns)',
  tabular: 'Synthetic table (64 columns, 10 classes)',
  text: 'Short labelled texts (3 to 14 words, 10 classes)',
}

function renderKind(kind, unordered) {
  const runs = [...unordered].sort((a, b) => a.rows - b.rows)
  const sizes = runs.map((run) => run.rows)
  const head = sizes.map((rows) => `${rows.toLocaleString('en')} rows: wall / CPU s`)
  // With three sizes or more, the slope of the last step beside the fit over all of them.
  const stepped = sizes.length >= 3
  const stepHead = stepped
    ? ` exponent ${sizes.at(-2).toLocaleString('en')} → ${sizes.at(-1).toLocaleString('en')} |`
    : ''
  const exponents = (points) => {
    const fitted = fitExponent(points)
    const cells = [fitted === undefined ? '—' : fitted.toFixed(2)]
    if (stepped) cells.push(lastStepExponent(points)?.toFixed(2) ?? '—')
    return cells.join(' | ')
  }
  const lines = [
    `| phase | ${head.join(' | ')} | exponent (CPU) |${stepHead}`,
    `|---|${sizes.map(() => '---|').join('')}---|${stepped ? '---|' : ''}`,
  ]
  const names = [
    ...new Set(runs.flatMap((run) => [...Object.keys(run.phases), ...Object.keys(run.detectors)])),
  ]
  const timesOf = (run, name) => run.phases[name] ?? run.detectors[name]
  for (const name of names) {
    const points = runs.flatMap((run) => (timesOf(run, name) ? [[run.rows, timesOf(run, name)[1]]] : []))
    const cells = runs.map((run) => cell(timesOf(run, name)))
    lines.push(`| ${name} | ${cells.join(' | ')} | ${exponents(points)} |`)
  }
  const totals = runs.map(total)
  // A stopped run's sum misses the phases it did not reach: a lower bound, left out of the fit.
  const complete = runs.flatMap((run, index) =>
    run.timedOutAfterMinutes ? [] : [[run.rows, totals[index][1]]],
  )
  const totalCells = totals.map((times, index) =>
    runs[index].timedOutAfterMinutes ? `**≥ ${cell(times)}**` : `**${cell(times)}**`,
  )
  lines.push(`| **all phases** | ${totalCells.join(' | ')} | ${exponents(complete)} |`)
  const blank = stepped ? ' | |' : ' |'
  // A run stopped before its end has no final figure; the peak its last finished phase saw is a lower bound.
  const peak = (run) => {
    if (run.maxRssMiB !== undefined) return run.maxRssMiB
    const seen = [...Object.values(run.phases), ...Object.values(run.detectors)].map((times) => times[2] ?? 0)
    return seen.length > 0 ? `≥ ${Math.max(...seen)}` : '—'
  }
  lines.push(`| peak RSS (MiB) | ${runs.map(peak).join(' | ')} |${blank}`)
  lines.push(
    `| CPU seconds of the process, data generation included | ${runs.map((run) => format(run.cpuSeconds)).join(' | ')} |${blank}`,
  )
  lines.push(
    `| load average (1 min) at the end | ${runs.map((run) => run.loadAverage ?? '—').join(' | ')} |${blank}`,
  )
  const search = runs.map((run) => {
    const summary = run.neighbourSearch
    if (!summary) return '—'
    if (summary.method === 'exact') return 'exact'
    return `IVF ${summary.lists} lists × ${summary.probes} probes, recall@${summary.recallAt} ${summary.recall} (${summary.recallSample} rows)`
  })
  lines.push(`| neighbour search | ${search.join(' | ')} |${blank}`)
  const stopped = runs.filter((run) => run.timedOutAfterMinutes)
  for (const run of stopped)
    lines.push(
      '',
      `The ${run.rows.toLocaleString('en')}-row run was stopped after ${run.timedOutAfterMinutes} minutes; the phases it finished are shown.`,
    )
  const skipped = Object.entries(runs[0].skipped ?? {})
  if (skipped.length > 0)
    lines.push('', `Skipped (no input of theirs in this data): ${skipped.map(([id]) => id).join(', ')}.`)
  return [`### ${titles[kind] ?? kind}`, '', ...lines]
}

/** The "Scaling" section: per phase and detector, seconds at each size and the fitted exponent. */
export function renderScaleSection(results) {
  const kinds = [...new Set(results.runs.map((run) => run.data))]
  return [
    '## Scaling: seconds per phase against rows',
    '',
    `Measured on ${results.date} with \`${results.command}\` (onnxruntime-node ${results.onnxruntime}); each size in a fresh process, ` +
      'the data generated in memory (not timed). Shared analyses are timed once, then each detector alone on them; ' +
      '"all phases" adds them up (a real scan overlaps the cross-validation with the detectors, so it is a bound). ' +
      'CPU seconds count every thread of the process. Exponent: least-squares slope of log CPU seconds against log rows, ' +
      'over the sizes that took at least 0.05 s; with three sizes or more, also the slope between the two largest.',
    '',
    ...kinds.flatMap((kind) => [
      ...renderKind(
        kind,
        results.runs.filter((run) => run.data === kind),
      ),
      '',
    ]),
  ].join('\n')
}
