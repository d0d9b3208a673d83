import type { DetectedAttack, RecordReport } from '../domain/index.js'

/** Detector and finding kinds that occur together in the records, so an attack claims only its own kind. */
export function emittedKinds(records: readonly RecordReport[]): Set<string> {
  const pairs = new Set<string>()
  for (const record of records)
    for (const finding of record.findings) pairs.add(`${finding.detector}\u0000${finding.kind}`)
  return pairs
}

/**
 * Rows of the flagged records an attack covers: those of its label (when it names one) holding a finding of its
 * detector, of its kind where the detector writes findings of that kind.
 */
export function attackRows(
  records: readonly RecordReport[],
  attack: DetectedAttack,
  kinds: ReadonlySet<string>,
): Int32Array {
  const matchKind = kinds.has(`${attack.detector}\u0000${attack.kind}`)
  const rows: number[] = []
  records.forEach((record, row) => {
    if (!record.flagged) return
    if (attack.label !== undefined && record.label !== attack.label) return
    const claims = record.findings.some(
      (finding) => finding.detector === attack.detector && (!matchKind || finding.kind === attack.kind),
    )
    if (claims) rows.push(row)
  })
  return Int32Array.from(rows)
}

/** Share of both row sets the two have in common: 1 for the same records, 0 for disjoint ones. */
function overlap(first: Int32Array, second: Int32Array): number {
  if (first.length === 0 || second.length === 0) return 0
  const inFirst = new Set(first)
  let common = 0
  for (const row of second) if (inFirst.has(row)) common++
  return common / Math.max(first.length, second.length)
}

/** Two detectors' attacks on this share of the same records are one attack seen twice. */
const SAME_ATTACK_OVERLAP = 0.9

/** Share of `inner`'s rows that are also rows of `outer`: 1 when every one of them is. */
function containedShare(inner: Int32Array, outer: Int32Array): number {
  if (inner.length === 0) return 0
  const inOuter = new Set(outer)
  let common = 0
  for (const row of inner) if (inOuter.has(row)) common++
  return common / inner.length
}

/** An attack with the rows it covers. */
export interface AttackRows {
  readonly attack: DetectedAttack
  readonly rows: Int32Array
}

/**
 * Whether two attacks may be one: the same label, or one of them names none (a flood of copies, whose records the
 * other may see as a group inside their class).
 */
function sameLabel(first: DetectedAttack, second: DetectedAttack): boolean {
  return first.label === undefined || second.label === undefined || first.label === second.label
}

/**
 * Whether `entry` is the `stronger` attack seen again: (nearly) the same records of the same label, or, for a flood, records
 * that are (nearly) all among its copies. Near-copies of one record sit together inside their class, collide with
 * the record they copy and share whatever sets it apart, so other detectors see each seed's copies as a group,
 * a collision or a pattern of their own.
 */
function seenAgain(stronger: AttackRows, entry: AttackRows): boolean {
  if (!sameLabel(stronger.attack, entry.attack)) return false
  if (overlap(stronger.rows, entry.rows) >= SAME_ATTACK_OVERLAP) return true
  return stronger.attack.kind === 'flood' && containedShare(entry.rows, stronger.rows) >= SAME_ATTACK_OVERLAP
}

/** Text compared by code unit, the same on every machine and locale. */
function byText(first: string, second: string): number {
  return first < second ? -1 : first > second ? 1 : 0
}

/**
 * Order in which attacks claim the name of the records they cover, strongest first: a flood, then the smallest
 * p-value, then attacks without one. That the records are near-copies is measured on the records themselves; a
 * collision or a pattern on the same records is what the copies look like to another test, and a p-value on many
 * copies of one record is small whatever they are. Equal evidence is ordered by what the attacks say, so that no
 * detector's place in the run decides.
 */
function namingOrder(first: DetectedAttack, second: DetectedAttack): number {
  const floodFirst = Number(second.kind === 'flood') - Number(first.kind === 'flood')
  if (floodFirst !== 0) return floodFirst
  const firstP = first.pValue ?? Number.POSITIVE_INFINITY
  const secondP = second.pValue ?? Number.POSITIVE_INFINITY
  if (firstP !== secondP) return firstP < secondP ? -1 : 1
  return (
    byText(first.detector, second.detector) ||
    byText(first.kind, second.kind) ||
    byText(first.label ?? '', second.label ?? '') ||
    byText(first.description, second.description) ||
    first.records - second.records
  )
}

/**
 * The attacks with those covering (nearly) the same records of the same label as a stronger one merged into it as
 * confirmations: one backdoor is often seen by several detectors (its trigger, the direction its carriers spread
 * along, the cluster they form), and it is still one attack. It is named after the detector with the strongest
 * evidence (see `namingOrder`): with two classes, the carriers of a text trigger (p 10⁻²⁶) also fill one class pair
 * (p 10⁻⁷), and "records of novel relabelled as address" hid the trigger that relabelled them. Taking the attacks
 * strongest first makes the result, its order included, the same whatever order the detectors reported in: taken as
 * they came, a flood reported after a class pair on its copies confirmed the pair, and three overlapping groups of
 * one class were one attack or two by the order they came in.
 */
export function mergeSameAttacks<T extends AttackRows>(
  attacks: readonly T[],
): (T & { confirmedBy: DetectedAttack[] })[] {
  const merged: (T & { confirmedBy: DetectedAttack[] })[] = []
  for (const entry of [...attacks].sort((first, second) => namingOrder(first.attack, second.attack))) {
    const named = merged.find((stronger) => seenAgain(stronger, entry))
    if (named) named.confirmedBy.push(entry.attack)
    else merged.push({ ...entry, confirmedBy: [] })
  }
  return merged
}

/** The verdict's attacks as distinct attacks, each with the other detectors' attacks on the same records. */
export function distinctAttacks(
  records: readonly RecordReport[],
  attacks: readonly DetectedAttack[],
): { attack: DetectedAttack; confirmedBy: DetectedAttack[] }[] {
  const kinds = emittedKinds(records)
  return mergeSameAttacks(attacks.map((attack) => ({ attack, rows: attackRows(records, attack, kinds) })))
}
