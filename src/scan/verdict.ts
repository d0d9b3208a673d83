import type { DetectedAttack, RecordReport, ScanReport, VerdictSummary } from '../domain/index.js'
import { logPoissonTailBound, poissonUpperTail } from '../stats/tails.js'
import type { DetectorOutcome } from './pipeline.js'
import { distinctAttacks } from './same-attack.js'

/** Share of honest mistakes (label noise, anomalies) a well-kept dataset may hold. */
const honestShare = 0.01
/**
 * Chance under which a flagged count is more than a well-kept dataset's honest mistakes explain (a Poisson tail at
 * `honestShare` of the records). A fixed share of a few hundred records is one or two of them: 2 of 182 State of the
 * Union addresses, honest ones that read like the other party's, made the clean addresses suspicious at 1.1%.
 */
const suspiciousTail = 0.05
/** Flagged records a source needs before its share is weighed against the others'. */
const minimumSourceFlags = 5

function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`
}

/**
 * Floods the near-duplicate findings name, as dataset-level attacks, for detectors that do not report their floods
 * as attacks of their own (with the test behind them). A flood is named once the scan flags one of its records, and
 * counted by every record its detector calls a copy: fusion may flag one copy of ten, and the flood is still ten.
 */
function floodAttacks(records: readonly RecordReport[], reported: ReadonlySet<string>): DetectedAttack[] {
  const members = new Map<string, number>()
  const named = new Set<string>()
  for (const record of records) {
    for (const finding of record.findings) {
      if (finding.kind !== 'flood' || reported.has(finding.detector)) continue
      members.set(finding.detector, (members.get(finding.detector) ?? 0) + 1)
      if (record.flagged) named.add(finding.detector)
    }
  }
  return [...named].map((detector) => {
    const count = members.get(detector)!
    return {
      detector,
      kind: 'flood' as const,
      description: `a flood of ${plural(count, 'near-identical record')}`,
      records: count,
    }
  })
}

/**
 * Whether a reported attack counts at the scan's rate. Copies with conflicting labels are label evidence first:
 * they are an attack only when their test says label noise does not explain them.
 */
function significant(attack: Omit<DetectedAttack, 'detector'>, rate: number): boolean {
  return attack.kind !== 'contradiction' || (attack.pValue !== undefined && attack.pValue < rate)
}

/**
 * Detectors whose dataset-level test holds at the scan's rate across all of them (Holm's step-down): each tests at
 * the rate on its own, so on honest data one of several reaches it by chance about as often as there are tests.
 * One wrong attack makes the whole verdict wrong, so it is the chance of any, not their share, that is held to the
 * rate; a strong finding of one detector must not lower the bar for another's, as false-discovery control would.
 * @see Holm. A simple sequentially rejective multiple test procedure. Scandinavian Journal of Statistics 6, 1979.
 */
function rejectedTests(evidence: VerdictSummary['evidence'], rate: number): Set<string> {
  const sorted = [...evidence].sort((a, b) => a.pValue - b.pValue)
  const passed = sorted.findIndex(({ pValue }, index) => pValue > rate / (sorted.length - index))
  return new Set(sorted.slice(0, passed < 0 ? sorted.length : passed).map(({ detector }) => detector))
}

/**
 * Sources whose share of flagged records is far above the rest's (a one-sided binomial tail bound, Bonferroni
 * over the sources, at the scan's false-discovery rate): the contributors to quarantine.
 */
function sourceAttacks(records: readonly RecordReport[], rate: number): DetectedAttack[] {
  const bySource = new Map<string, { rows: number; flagged: number }>()
  let flaggedTotal = 0
  for (const record of records) {
    if (record.source === undefined) continue
    const entry = bySource.get(record.source) ?? { rows: 0, flagged: 0 }
    entry.rows++
    if (record.flagged) {
      entry.flagged++
      flaggedTotal++
    }
    bySource.set(record.source, entry)
  }
  if (bySource.size < 2) return []
  const threshold = Math.log(rate / bySource.size)
  return [...bySource].flatMap(([source, { rows, flagged }]) => {
    const otherRows = records.length - rows
    const otherShare = otherRows > 0 ? (flaggedTotal - flagged) / otherRows : 0
    const logPValue = logPoissonTailBound(flagged, Math.max(otherShare, 1 / records.length) * rows)
    if (flagged < minimumSourceFlags || logPValue > threshold) return []
    return [
      {
        detector: 'scan',
        kind: 'outlier' as const,
        description: `source ${source}: ${flagged} of its ${rows} records flagged, against ${(100 * otherShare).toFixed(1)}% elsewhere`,
        records: flagged,
        pValue: Math.exp(logPValue) * bySource.size,
      },
    ]
  })
}

/**
 * The attacks without those that only echo noise another attack names: when a detector reports far-off noise
 * records (an `outlier` attack), another detector's group (a `backdoor` attack) whose records are mostly those same
 * records (noise records that happen to sit together inside a class) is that noise seen again, not an attack of its
 * own.
 */
function withoutNoiseEchoes(
  attacks: DetectedAttack[],
  outcomes: readonly DetectorOutcome[],
): DetectedAttack[] {
  const flagsOf = (detector: string) => {
    const outcome = outcomes.find((entry) => entry.detector.id === detector)
    return outcome?.status === 'ok' ? outcome.result.flagged : undefined
  }
  const noise = attacks
    .filter((attack) => attack.kind === 'outlier')
    .flatMap((attack) => flagsOf(attack.detector) ?? [])
  if (noise.length === 0) return attacks
  return attacks.filter((attack) => {
    // Only a group is an echo: a trigger, a class pair or a collision names what the noise does not have.
    const flags = attack.kind === 'backdoor' ? flagsOf(attack.detector) : undefined
    if (!flags) return true
    let own = 0
    let shared = 0
    flags.forEach((flag, row) => {
      if (!flag) return
      own++
      if (noise.some((noiseFlags) => noiseFlags[row])) shared++
    })
    return own === 0 || shared <= own / 2
  })
}

/**
 * The dataset-level verdict: `poisoned` when a detector's dataset-level test found an attack (a trigger, an
 * attacked class pair, a poisoned cluster, a flood) and holds among all the detectors' tests, or a source stands
 * out; `suspicious` when none did but more
 * records are flagged than a well-kept dataset holds (label noise, anomalies); `clean` otherwise.
 */
export function judgeDataset(
  outcomes: readonly DetectorOutcome[],
  records: readonly RecordReport[],
  quietDetectors: readonly string[],
  rate: number,
): VerdictSummary {
  const quiet = new Set(quietDetectors)
  const evidence: VerdictSummary['evidence'] = []
  for (const outcome of outcomes)
    if (outcome.status === 'ok' && outcome.result.datasetPValue !== undefined)
      evidence.push({ detector: outcome.detector.id, pValue: outcome.result.datasetPValue })
  const rejected = rejectedTests(evidence, rate)
  const detected: DetectedAttack[] = []
  for (const outcome of outcomes) {
    if (outcome.status !== 'ok' || quiet.has(outcome.detector.id)) continue
    const { datasetPValue, attacks: found } = outcome.result
    if (datasetPValue !== undefined && !rejected.has(outcome.detector.id)) continue
    for (const attack of found ?? [])
      if (significant(attack, rate)) detected.push({ detector: outcome.detector.id, ...attack })
  }
  const reportsFloods = new Set(
    outcomes.flatMap((outcome) =>
      outcome.status === 'ok' && outcome.result.attacks?.some((attack) => attack.kind === 'flood')
        ? [outcome.detector.id]
        : [],
    ),
  )
  const attacks = [
    ...floodAttacks(records, reportsFloods),
    ...withoutNoiseEchoes(detected, outcomes),
    ...sourceAttacks(records, rate),
  ]
  const flagged = records.filter((record) => record.flagged).length
  if (attacks.length > 0) {
    // Detectors that saw the same records saw one attack: it is counted and named once.
    const distinct = distinctAttacks(records, attacks)
    const named = distinct.slice(0, 3).map(({ attack }) => attack.description)
    return {
      verdict: 'poisoned',
      reason: `${plural(distinct.length, 'attack')} found: ${named.join('; ')}${distinct.length > 3 ? '; …' : ''}`,
      attacks,
      evidence,
    }
  }
  if (flagged > 0 && poissonUpperTail(flagged, honestShare * records.length) < suspiciousTail) {
    return {
      verdict: 'suspicious',
      reason: `no attack found, but ${plural(flagged, 'record')} (${((100 * flagged) / records.length).toFixed(1)}%) are flagged: more label issues or anomalies than a well-kept dataset holds`,
      attacks,
      evidence,
    }
  }
  return {
    verdict: 'clean',
    reason:
      flagged > 0
        ? `no attack found; ${plural(flagged, 'record')} flagged, within what honest mistakes explain`
        : 'no attack found and no record flagged',
    attacks,
    evidence,
  }
}

function withPValue(attack: DetectedAttack): string {
  const evidence = attack.pValue === undefined ? '' : ` (p = ${attack.pValue.toPrecision(2)})`
  return `${attack.kind} by ${attack.detector}: ${attack.description}${evidence}`
}

/**
 * The verdict in lines for people, printed before anything else: what the dataset is, why, and each distinct attack
 * with the detectors that found it on the same records.
 */
export function verdictLines(report: Pick<ScanReport, 'summary' | 'records'>): string[] {
  const { verdict, falseDiscovery } = report.summary
  if (!verdict) return []
  const lines = [`Verdict: ${verdict.verdict.toUpperCase()} — ${verdict.reason}`]
  for (const { attack, confirmedBy } of distinctAttacks(report.records, verdict.attacks)) {
    lines.push(`  ${withPValue(attack)}`)
    for (const other of confirmedBy) lines.push(`    the same records: ${withPValue(other)}`)
  }
  if (falseDiscovery)
    lines.push(
      `Flagged at a false-discovery rate of ${falseDiscovery.rate}: ` +
        `about ${falseDiscovery.expectedFalseAlarms} of the flagged records are expected to be false alarms.`,
    )
  return lines
}
