import type { FeatureMatrix } from '../../data/matrix.js'
import { evenSample } from '../../util/even-sample.js'
import { type ContentSupport, labelPosition } from './content.js'
import type { CarrierLists, Incidence } from './incidence.js'
import type { FeatureEvidence, MiningOptions } from './mine.js'
import { contentLogRatios } from './posterior.js'

/** One suspected trigger: features that mark the same records, all pushing them to one label. */
export interface TriggerGroup {
  readonly label: number
  /** Every significant feature of the trigger, strongest first. */
  readonly members: FeatureEvidence[]
  /** The few members that together mark the trigger's records, strongest first; they decide who carries it. */
  readonly cover: FeatureEvidence[]
  /** Records labelled `label` that carry a cover feature, ascending. */
  readonly rows: Int32Array
  /** Chance that each of `rows` is poisoned, in the same order. */
  readonly suspicion: Float32Array
  /** 1 for every record with the label that carries a cover feature. */
  readonly carrierMarks: Uint8Array
  /** 1 for every record of any label that carries at least half of the trigger's template. */
  readonly templateMarks: Uint8Array
  /** Records of any label that carry most of the trigger's template: where the trigger "occurs". */
  readonly carrierCount: number
  /** Of those, the records with the trigger's label. */
  readonly labelledCarrierCount: number
}

/** Evidence features considered for grouping, strongest first; the rest only repeat what these say. */
const maxGroupedEvidence = 4000

interface Draft {
  label: number
  members: number[]
  marks: Uint8Array
  size: number
}

/**
 * Groups evidence into triggers: a feature joins the trigger of its label whose records already hold at least
 * half of its own labelled carriers (the pixels of one patch, the words of one phrase), else starts a new one.
 */
function draftGroups(
  evidence: readonly FeatureEvidence[],
  lists: CarrierLists,
  codes: Int32Array,
  rowCount: number,
): Draft[] {
  const drafts: Draft[] = []
  evidence.forEach((item, slot) => {
    const labelled: number[] = []
    for (let entry = lists.offsets[slot]; entry < lists.offsets[slot + 1]; entry++) {
      const row = lists.rows[entry]
      if (codes[row] === item.label) labelled.push(row)
    }
    const home = drafts.find((draft) => {
      if (draft.label !== item.label) return false
      let shared = 0
      for (const row of labelled) shared += draft.marks[row]
      return shared * 2 >= labelled.length
    })
    const draft = home ?? { label: item.label, members: [], marks: new Uint8Array(rowCount), size: 0 }
    if (!home) drafts.push(draft)
    draft.members.push(slot)
    for (const row of labelled) {
      if (draft.marks[row]) continue
      draft.marks[row] = 1
      draft.size++
    }
  })
  return mergeDrafts(drafts)
}

/**
 * Merges drafts of one label that share at least half of the smaller one's records: the first features of a
 * moving patch may each see a different part of its records before the features that see all of them arrive.
 */
function mergeDrafts(drafts: Draft[]): Draft[] {
  for (let first = 0; first < drafts.length; first++) {
    for (let second = first + 1; second < drafts.length; second++) {
      const [a, b] = [drafts[first], drafts[second]]
      if (a.label !== b.label) continue
      let shared = 0
      for (let row = 0; row < a.marks.length; row++) shared += a.marks[row] & b.marks[row]
      if (shared * 2 < Math.min(a.size, b.size)) continue
      for (let row = 0; row < a.marks.length; row++) a.marks[row] |= b.marks[row]
      a.size += b.size - shared
      a.members = [...a.members, ...b.members].sort((x, y) => x - y)
      drafts.splice(second, 1)
      second = first
    }
  }
  return drafts
}

/** Label-content bins: how many neighbours carry the label; high bins are where natural carriers live. */
function highBin(support: ContentSupport): number {
  return Math.ceil(0.7 * support.k)
}

/** Share of the records labelled `label` that do not carry the trigger in each content bin, smoothed. */
function labelBinShares(bins: Int8Array, codes: Int32Array, label: number, k: number, marks: Uint8Array) {
  const shares = new Float64Array(k + 1).fill(0.5)
  let total = 0.5 * (k + 1)
  for (let row = 0; row < codes.length; row++) {
    if (codes[row] !== label || bins[row] < 0 || marks[row]) continue
    shares[bins[row]]++
    total++
  }
  for (let bin = 0; bin <= k; bin++) shares[bin] /= total
  return shares
}

/** Natural carriers among `rows`: those in high bins, scaled up by how many natural records sit in high bins. */
function estimateNatural(rows: readonly number[], bins: Int8Array, shares: Float64Array, high: number) {
  let inHigh = 0
  for (const row of rows) if (bins[row] >= high) inHigh++
  let highShare = 0
  for (let bin = high; bin < shares.length; bin++) highShare += shares[bin]
  return Math.min(rows.length, inHigh / highShare)
}

export interface GroupingInput {
  readonly incidence: Incidence
  readonly evidence: readonly FeatureEvidence[]
  /** Carriers of each evidence feature, in the same order. */
  readonly lists: CarrierLists
  readonly codes: Int32Array
  readonly support: ContentSupport
  readonly minRows: number
  /** Read carriers' content from neighbours that do not carry the trigger (see `MiningOptions`). */
  readonly excludeCarriers: boolean
  /** Out-of-fold model probabilities (rows × classes): a second view of content, when available. */
  readonly probabilities?: FeatureMatrix
  /** Reads records apart from the trigger's other carriers (see `MiningOptions.readApart`), where the family can. */
  readonly readApart?: MiningOptions['readApart']
}

/**
 * Groups significant features into triggers and scores the records that carry them: the chance a carrier with
 * the trigger's label is poisoned combines how many of a feature's labelled carriers are unexplained by content
 * (its precision) with how strongly the record's own neighbours point away from the label.
 */
export function groupTriggers(input: GroupingInput): TriggerGroup[] {
  const { incidence, codes } = input
  // Evidence is sorted strongest first and the lists' offsets follow it, so the first slots are kept as they are.
  const evidence = input.evidence.slice(0, maxGroupedEvidence)
  const lists = input.lists
  const drafts = draftGroups(evidence, lists, codes, incidence.rowCount)
  return drafts.map((draft) => scoreGroup(draft, { ...input, evidence }))
}

/**
 * Each record's content position for `label` (see `labelPosition`), read apart from the trigger's carriers when
 * `marks` is given, and its rounded bin (-1 when unknown).
 */
function contentPositions(input: GroupingInput, label: number, marks: Uint8Array | undefined) {
  const { codes, support } = input
  const positions = new Float32Array(codes.length)
  for (let row = 0; row < codes.length; row++) {
    positions[row] = labelPosition(support, codes, row, label, marks?.[row] === 1 ? marks : undefined)
  }
  if (marks && input.readApart) readCrowdedApart(input.readApart, marks, positions, label, support.k)
  const bins = Int8Array.from(positions, (position) => (position < 0 ? -1 : Math.round(position)))
  return { positions, bins }
}

/** Carriers read apart at most per trigger; the rest keep an unknown position. */
const maxApartCarriers = 200

/**
 * Places carriers whose neighbours are nearly all carriers by their neighbours read apart from them: a natural
 * carrier of a categorical value (mails from one country's domains, with their own label) would otherwise be
 * scored by the trigger's precision alone.
 */
function readCrowdedApart(
  readApart: NonNullable<GroupingInput['readApart']>,
  marks: Uint8Array,
  positions: Float32Array,
  label: number,
  k: number,
) {
  const crowded: number[] = []
  for (let row = 0; row < marks.length; row++) if (marks[row] && positions[row] < 0) crowded.push(row)
  if (crowded.length === 0) return
  const read = evenSample(crowded, maxApartCarriers)
  const { labels } = readApart(read, marks)
  read.forEach((row, index) => {
    let found = 0
    let agreeing = 0
    for (const code of labels.subarray(index * k, (index + 1) * k)) {
      if (code < 0) continue
      found++
      if (code === label) agreeing++
    }
    if (found > 0) positions[row] = (agreeing / found) * k
  })
}

/** Labelled carriers of one member slot. */
function labelledCarriers(slot: number, lists: CarrierLists, codes: Int32Array, label: number): number[] {
  const labelled: number[] = []
  for (let entry = lists.offsets[slot]; entry < lists.offsets[slot + 1]; entry++)
    if (codes[lists.rows[entry]] === label) labelled.push(lists.rows[entry])
  return labelled
}

/** The members that mark new records, strongest first; they decide which records are candidates. */
function chooseCover(carriers: number[][], minRows: number, rowCount: number): number[] {
  const covered = new Uint8Array(rowCount)
  const cover: number[] = []
  carriers.forEach((labelled, index) => {
    let fresh = 0
    for (const row of labelled) fresh += covered[row] ? 0 : 1
    // A feature that marks few new records adds coincidental carriers rather than evidence.
    if (fresh < minRows) return
    for (const row of labelled) covered[row] = 1
    cover.push(index)
  })
  return cover
}

/** Precision above which a feature's labelled carriers are taken to be poisoned records. */
const purePrecision = 0.9
/** Share of the poisoned records a feature must mark to belong to the trigger's template. */
const templateShare = 0.7

/**
 * Share of the trigger's template each record (of any label) carries. The template is the features nearly every
 * poisoned record has (all pixels of a fixed patch or of a blend, the inside of a moving patch), so a record that
 * has one of them by coincidence matches little of it.
 */
function templateMatch(slots: readonly number[], poisoned: number[], lists: CarrierLists, rowCount: number) {
  const most = Math.max(...poisoned)
  const template = slots.filter((_, index) => most <= 0 || poisoned[index] >= templateShare * most)
  const match = new Float32Array(rowCount)
  for (const slot of template)
    for (let entry = lists.offsets[slot]; entry < lists.offsets[slot + 1]; entry++)
      match[lists.rows[entry]] += 1 / template.length
  return match
}

/**
 * How much a partial template match keeps of a feature's precision: poisoned records match most of the template,
 * coincidental carriers a small part; smooth, so records are ranked by how much they match.
 */
function matchWeight(match: number): number {
  return 1 / (1 + Math.exp(-15 * (match - 0.35)))
}

/** Template share at or above which a record carries all of it (a float sum of equal parts may fall just short). */
const wholeMatch = 0.999

/**
 * A member's precision over all its labelled carriers, and over those that carry the whole template and
 * those that carry part of it: a value the trigger writes beside others (a category among a table's columns) has
 * honest carriers of its own label, which match half of a two-value template by nature and are natural carriers at
 * the feature's rate, while the records that carry all of it are nearly all poisoned.
 */
function precisionByMatch(
  labelled: readonly number[],
  match: Float32Array,
  naturalIn: (rows: readonly number[], part?: (row: number) => boolean) => number,
) {
  const whole: number[] = []
  const partial: number[] = []
  for (const row of labelled) (match[row] >= wholeMatch ? whole : partial).push(row)
  // One pseudo-record keeps a feature or a share of its carriers without seen natural ones from claiming certainty.
  const precision = (rows: readonly number[], part?: (row: number) => boolean) =>
    rows.length === 0 ? 0 : Math.max(0, rows.length - naturalIn(rows, part)) / (rows.length + 1)
  return {
    all: precision(labelled),
    whole: precision(whole, (row) => match[row] >= wholeMatch),
    partial: precision(partial, (row) => match[row] < wholeMatch),
  }
}

/**
 * How many of `rows`, labelled carriers of the member at `index`, are estimated to carry it naturally; `part`
 * tells which of its carriers of other labels are like them (all where not given).
 */
type NaturalCount = (index: number, rows: readonly number[], part?: (row: number) => boolean) => number

/**
 * Natural carriers among a member's labelled `rows` where its label was tested by its odds (see
 * `FeatureEvidence.byOdds`): its carriers of other labels like them (`others`) are all natural, and natural
 * carriers hold the label at the odds content predicts. The content bins cannot tell there: records relabelled
 * to a class of four in five sit among its records' neighbours as its own do.
 */
function naturalByOdds(rows: readonly number[], member: FeatureEvidence, others: readonly number[]): number {
  const odds = member.expected / Math.max(0.5, member.carriers - member.expected)
  return Math.min(rows.length, others.length * odds)
}

/** Carriers of one member slot with a label other than `label`. */
function otherLabelCarriers(slot: number, lists: CarrierLists, codes: Int32Array, label: number): number[] {
  const others: number[] = []
  for (let entry = lists.offsets[slot]; entry < lists.offsets[slot + 1]; entry++) {
    const code = codes[lists.rows[entry]]
    if (code >= 0 && code !== label) others.push(lists.rows[entry])
  }
  return others
}

/**
 * The prior chance that each candidate record is poisoned, before its content is read: the precision of the most
 * precise member it carries among records that carry as much of the template (all of it, or part), kept in
 * proportion to how much of the template it matches. Only cover members make a record a candidate; a narrower member
 * (a planted pixel where it stands apart, whose records the pixel value at large already marks) then vouches for its
 * own records, as honest records holding the same value by chance (bright ink clipped to it) carry the broad member
 * only. Records taken to be poisoned (carriers of a member about as precise as the most precise one, matching most
 * of the template, where those with part of it are precise too) are marked in `pure`: where that member is the
 * narrow one, the content of poisoned records is learnt without the chance holders.
 */
function priorChances(
  cover: readonly number[],
  carriers: number[][],
  naturalIn: NaturalCount,
  match: Float32Array,
) {
  const rowCount = match.length
  const prior = new Float64Array(rowCount)
  const candidate = new Uint8Array(rowCount)
  const pure = new Uint8Array(rowCount)
  const precisions = carriers.map((labelled, index) =>
    precisionByMatch(labelled, match, (rows, part) => naturalIn(index, rows, part)),
  )
  // A trigger with natural carriers (a common word) may have no precise feature: its most precise one stands in.
  const takenAbove = Math.min(purePrecision, Math.max(...precisions.map(({ all }) => all)))
  for (const index of cover) for (const row of carriers[index]) candidate[row] = 1
  carriers.forEach((labelled, index) => {
    const { all, whole, partial } = precisions[index]
    for (const row of labelled) {
      if (!candidate[row]) continue
      const isWhole = match[row] >= wholeMatch
      prior[row] = Math.max(prior[row], (isWhole ? whole : partial) * matchWeight(match[row]))
      if (all >= takenAbove && (isWhole || partial >= takenAbove) && match[row] >= 0.5) pure[row] = 1
    }
  })
  const rows = Int32Array.from(candidate.keys()).filter((row) => candidate[row] === 1)
  return { prior, pure, rows }
}

/** Odds beyond which posteriors saturate: float32 still tells 1 − 1e-5 from 1 − 1e-6 apart, not 1 − 1e-9 from 1. */
const oddsLimit = 1e5

/** Posterior chance from prior and content log likelihood ratio, saturating smoothly below `oddsLimit` to one. */
function boundedPosterior(prior: number, logRatio: number): number {
  const odds = (prior / (1 - prior)) * Math.exp(logRatio)
  // Saturating smoothly keeps the ranking where float32 would otherwise round every strong case to exactly 1.
  const bounded = odds / (1 + odds / oddsLimit)
  return bounded / (1 + bounded)
}

function scoreGroup(draft: Draft, input: GroupingInput): TriggerGroup {
  const { label } = draft
  const { codes, support, lists } = input
  const carriers = draft.members.map((slot) => labelledCarriers(slot, lists, codes, label))
  const cover = chooseCover(carriers, input.minRows, codes.length)
  // Only carriers with the label vouch for each other; others carrying a feature by nature are fair neighbours.
  const marks = new Uint8Array(codes.length)
  for (const index of cover) for (const row of carriers[index]) marks[row] = 1
  const { positions, bins } = contentPositions(input, label, input.excludeCarriers ? marks : undefined)
  const shares = labelBinShares(bins, codes, label, support.k, marks)
  const members = draft.members.map((slot) => input.evidence[slot])
  const others = draft.members.map((slot, index) =>
    members[index].byOdds ? otherLabelCarriers(slot, lists, codes, label) : [],
  )
  const naturalIn: NaturalCount = (index, rows, part) =>
    members[index].byOdds
      ? naturalByOdds(rows, members[index], part ? others[index].filter(part) : others[index])
      : estimateNatural(rows, bins, shares, highBin(support))
  const natural = carriers.map((rows, index) => naturalIn(index, rows))
  const poisoned = carriers.map((labelled, index) => labelled.length - natural[index])
  const match = templateMatch(draft.members, poisoned, lists, codes.length)
  const { prior, pure, rows } = priorChances(cover, carriers, naturalIn, match)
  const views = { positions, k: support.k, probabilities: input.probabilities }
  const logRatio = contentLogRatios(views, codes, label, pure, marks)
  return {
    label,
    members,
    cover: cover.map((index) => input.evidence[draft.members[index]]),
    rows,
    suspicion: Float32Array.from(rows, (row) => boundedPosterior(prior[row], logRatio(row))),
    carrierMarks: marks,
    ...countTemplateCarriers(match, codes, label),
  }
}

/** Records carrying at least half of the template, marked, counted in all and with the trigger's label. */
function countTemplateCarriers(match: Float32Array, codes: Int32Array, label: number) {
  const templateMarks = new Uint8Array(match.length)
  let carrierCount = 0
  let labelledCarrierCount = 0
  for (let row = 0; row < match.length; row++) {
    if (match[row] < 0.5) continue
    templateMarks[row] = 1
    carrierCount++
    if (codes[row] === label) labelledCarrierCount++
  }
  return { templateMarks, carrierCount, labelledCarrierCount }
}
