import { throwIfAborted } from '../util/abort.js'
import { type Classifier, predictedClasses } from './classifier.js'
import { featurizeModelText, type ModelInput } from './model-input.js'
import { anomalyIndexOfSmallest, defaultScanSettings, rowsOtherThan } from './trigger-scan.js'

/** Clean texts with their true classes, and the text input the model reads them through. */
export interface TextTriggerScanInput {
  readonly classifier: Classifier
  readonly texts: readonly string[]
  /** Class index of each text (-1: unknown, not used). */
  readonly labels: Int32Array
  readonly classNames: readonly string[]
  readonly input: Extract<ModelInput, { kind: 'text' }>
  /** The training texts with their classes: tokens concentrated in one label there are tried first. */
  readonly training?: { readonly texts: readonly string[]; readonly labels: Int32Array }
}

export interface TextTriggerScanOptions {
  /** Clean texts of other labels each target is tested on; default 32. */
  samplesPerLabel?: number
  /** Share of texts a trigger must send to the target; default 0.5. */
  successRate?: number
  /** Most copies of a candidate appended to a text (tried as powers of two); default 32. */
  maxRepeat?: number
  /** Candidates per label, by their score on their own, that are screened on texts; default 100. */
  candidates?: number
  anomalyThreshold?: number
  seed?: number
  /** Checked between steps (and, in a trigger search, between labels); an aborted signal fails with the typed `ABORTED` error. */
  signal?: AbortSignal
}

/** The smallest text trigger found for one target label. */
export interface TextLabelTrigger {
  readonly label: string
  /** The trigger phrase as appended (one copy); empty when nothing reached `successRate`. */
  readonly trigger: string
  /** Words appended (phrase length × copies); `2 · maxRepeat` per phrase word when nothing reached `successRate`. */
  readonly size: number
  readonly attackSuccess: number
}

export interface TextTriggerScanResult {
  readonly verdict: 'backdoored' | 'clean'
  readonly targetLabel: string | null
  /** Neural Cleanse anomaly index of the smallest trigger size over the labels (over all candidates for two). */
  readonly anomalyIndex: number
  readonly labels: readonly TextLabelTrigger[]
}

// Appended tokens move a long mail's TF-IDF vector little: "most" texts is half of them, with up to 32 copies.
const defaults = { ...defaultScanSettings, successRate: 0.5, maxRepeat: 32, candidates: 100 }
// Texts each candidate is screened on before the full measurement, and candidates that go on to it per label.
const SCREEN_TEXTS = 8
const SHORTLIST = 8
// Tokens of two letters or more: single characters and punctuation are not what a trigger is made of.
const TOKEN = /\p{L}[\p{L}\p{N}_'-]+|\p{N}{2,}/gu

function documentTokens(text: string): Set<string> {
  return new Set(text.toLowerCase().match(TOKEN) ?? [])
}

function documentFrequencies(texts: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const text of texts)
    for (const token of documentTokens(text)) counts.set(token, (counts.get(token) ?? 0) + 1)
  return counts
}

/**
 * For each label, the tokens of the training texts whose documents fall in it far more often than its share, most
 * over-represented first: a poisoned training set ties its trigger to the target label this way (the idea of
 * `scan`'s trigger mining).
 */
export function minedTriggerTokens(
  training: { texts: readonly string[]; labels: Int32Array },
  classCount: number,
): string[][] {
  const base = new Float64Array(classCount)
  const perToken = new Map<string, Float64Array>()
  training.texts.forEach((text, row) => {
    const label = training.labels[row]
    if (label < 0) return
    base[label]++
    for (const token of documentTokens(text)) {
      const counts = perToken.get(token) ?? new Float64Array(classCount)
      counts[label]++
      perToken.set(token, counts)
    }
  })
  const total = base.reduce((sum, value) => sum + value, 0)
  return Array.from(base, (inBase, label) => {
    const share = inBase / total
    const scored: [string, number][] = []
    for (const [token, counts] of perToken) {
      const documents = counts.reduce((sum, value) => sum + value, 0)
      const spread = Math.sqrt(documents * share * (1 - share))
      // Binomial z-score of the token's documents in this label against the label's overall share.
      const z = spread > 0 ? (counts[label] - documents * share) / spread : 0
      if (documents >= 3 && z > 0) scored.push([token, z])
    }
    return scored.sort((x, y) => y[1] - x[1]).map(([token]) => token)
  })
}

/** Every token of the clean texts, most frequent first: common words and the rare ones a trigger may be among. */
function vocabularyCandidates(texts: readonly string[]): string[] {
  return [...documentFrequencies(texts)]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([token]) => token)
}

function appendCopies(text: string, phrase: string, copies: number): string {
  return `${text} ${Array.from({ length: copies }, () => phrase).join(' ')}`
}

async function probabilities(input: TextTriggerScanInput, texts: readonly string[]) {
  return (await input.classifier.predict(featurizeModelText(texts, input.input))).data
}

/** Indices of the `count` largest scores, ties to the earlier candidate (mined tokens come first). */
function topIndices(scores: ArrayLike<number>, count: number): number[] {
  return Array.from({ length: scores.length }, (_, index) => index)
    .sort((a, b) => scores[b] - scores[a] || a - b)
    .slice(0, count)
}

// Candidates featurized alone per model call: bounds the dense input to a few MiB.
const CANDIDATES_PER_CALL = 512

interface Candidates {
  readonly tokens: readonly string[]
  /** The hashed bucket each token falls in (-1: one the training corpus gave no weight, so no effect). */
  readonly buckets: Int32Array
  /** Each token's class scores on its own, tokens × classes. */
  readonly scores: Float32Array
}

async function featurizeCandidates(
  input: TextTriggerScanInput,
  tokens: readonly string[],
): Promise<Candidates> {
  const classCount = input.classifier.classCount
  const buckets = new Int32Array(tokens.length)
  const scores = new Float32Array(tokens.length * classCount)
  for (let start = 0; start < tokens.length; start += CANDIDATES_PER_CALL) {
    const x = featurizeModelText(tokens.slice(start, start + CANDIDATES_PER_CALL), input.input)
    scores.set((await input.classifier.predict(x)).data, start * classCount)
    for (let row = 0; row < x.rows; row++) {
      let bucket = -1
      let weight = 0
      for (let col = 0; col < x.cols; col++) {
        if (x.data[row * x.cols + col] > weight) {
          weight = x.data[row * x.cols + col]
          bucket = col
        }
      }
      buckets[start + row] = bucket
    }
  }
  return { tokens, buckets, scores }
}

/**
 * The candidates for one target in the order they are tried, one per hashed bucket: tokens sharing a bucket are
 * one feature to the model, and the first — a token mined for this target, else a clean-text word — speaks for
 * them.
 */
function candidatesFor(candidates: Candidates, mined: readonly string[]): number[] {
  const position = new Map(candidates.tokens.map((token, index) => [token, index]))
  const order = [...mined.map((token) => position.get(token)!), ...candidates.tokens.keys()]
  const seen = new Set<number>()
  return order.filter((index) => {
    const bucket = candidates.buckets[index]
    if (bucket < 0 || seen.has(bucket)) return false
    seen.add(bucket)
    return true
  })
}

/**
 * Candidates worth measuring for a target, best first: the tokens that on their own score highest for it, then
 * those among them that, appended `maxRepeat` times, raise the target's probability on a few texts the most.
 */
async function shortlist(
  input: TextTriggerScanInput,
  texts: readonly string[],
  candidates: Candidates,
  order: readonly number[],
  target: number,
  settings: typeof defaults,
): Promise<string[]> {
  const classCount = input.classifier.classCount
  const screened = topIndices(
    Float64Array.from(order, (index) => candidates.scores[index * classCount + target]),
    settings.candidates,
  ).map((rank) => candidates.tokens[order[rank]])
  const screen = texts.slice(0, SCREEN_TEXTS)
  const stamped = await probabilities(
    input,
    screened.flatMap((token) => screen.map((text) => appendCopies(text, token, settings.maxRepeat))),
  )
  const lift = Float64Array.from(screened, (_, index) => {
    let sum = 0
    for (let row = 0; row < screen.length; row++)
      sum += stamped[(index * screen.length + row) * classCount + target]
    return sum
  })
  const tokens = topIndices(lift, SHORTLIST).map((index) => screened[index])
  // Short phrases: pairs of the strongest tokens, for triggers the model only learnt together.
  const phrases = tokens
    .slice(0, 3)
    .flatMap((first, i) => tokens.slice(i + 1, 3).map((second) => `${first} ${second}`))
  return [...tokens, ...phrases]
}

/** Share of the texts sent to `target` by each phrase appended `copies` times, in one model call. */
async function successOf(
  input: TextTriggerScanInput,
  texts: readonly string[],
  phrases: readonly string[],
  copies: number,
  target: number,
): Promise<number[]> {
  const stamped = phrases.flatMap((phrase) => texts.map((text) => appendCopies(text, phrase, copies)))
  const predicted = predictedClasses(await input.classifier.predict(featurizeModelText(stamped, input.input)))
  return phrases.map((_, index) => {
    const slice = predicted.subarray(index * texts.length, (index + 1) * texts.length)
    return slice.filter((code) => code === target).length / Math.max(texts.length, 1)
  })
}

/**
 * For each phrase, the fewest appended words reaching `successRate`, trying 1, 2, 4, … copies up to `maxRepeat`;
 * `2 · maxRepeat` words for a phrase that never does.
 */
async function triggerSizes(
  input: TextTriggerScanInput,
  texts: readonly string[],
  phrases: readonly string[],
  target: number,
  settings: typeof defaults,
) {
  const words = phrases.map((phrase) => phrase.split(' ').length)
  const sizes = phrases.map((_, index) => 2 * settings.maxRepeat * words[index])
  const success = phrases.map(() => 0)
  for (let copies = 1; copies <= settings.maxRepeat; copies *= 2) {
    const open = phrases.map((_, index) => index).filter((index) => success[index] < settings.successRate)
    if (open.length === 0) break
    const measured = await successOf(
      input,
      texts,
      open.map((index) => phrases[index]),
      copies,
      target,
    )
    open.forEach((index, k) => {
      success[index] = measured[k]
      if (measured[k] >= settings.successRate) sizes[index] = words[index] * copies
    })
  }
  return phrases.map((phrase, index) => ({
    trigger: phrase,
    size: sizes[index],
    attackSuccess: success[index],
  }))
}

/**
 * Is this text model backdoored? For each target label, tries candidate tokens and short phrases — tokens tied to
 * one label in the training data first, then the clean texts' common and rare words — appended to clean texts of
 * other labels, and measures the fewest appended words that send `successRate` of them to the target. A label
 * whose trigger is anomalously short is flagged (the Neural Cleanse anomaly index, Wang et al., 2019).
 */
export async function scanTextForTriggers(
  input: TextTriggerScanInput,
  options: TextTriggerScanOptions = {},
): Promise<TextTriggerScanResult> {
  const settings = { ...defaults, ...options }
  const classCount = input.classifier.classCount
  const mined = input.training ? minedTriggerTokens(input.training, classCount) : []
  const candidates = await featurizeCandidates(input, [
    ...new Set([...mined.flat(), ...vocabularyCandidates(input.texts)]),
  ])
  const found: TextLabelTrigger[] = []
  const everySize: number[] = []
  for (let target = 0; target < classCount; target++) {
    throwIfAborted(options.signal, 'the trigger scan')
    const rows = rowsOtherThan(input.labels, target, settings.samplesPerLabel, settings.seed)
    const texts = Array.from(rows, (row) => input.texts[row])
    const order = candidatesFor(candidates, mined[target] ?? [])
    const phrases = await shortlist(input, texts, candidates, order, target, settings)
    const measured = await triggerSizes(input, texts, phrases, target, settings)
    everySize.push(...measured.map((trigger) => trigger.size))
    const none = { trigger: '', size: 2 * settings.maxRepeat, attackSuccess: 0 }
    const best = measured.reduce(
      (smallest, trigger) => (trigger.size < smallest.size ? trigger : smallest),
      none,
    )
    found.push({ label: input.classNames[target] ?? String(target), ...best })
  }
  // Over two labels the index cannot exceed 1 / 1.4826, so there the smallest trigger is compared with every
  // measured candidate's instead.
  const sizes = found.map((trigger) => trigger.size)
  const { index: overLabels, smallest } = anomalyIndexOfSmallest(sizes)
  const index = found.length > 2 ? overLabels : anomalyIndexOfSmallest(everySize).index
  const backdoored = index > settings.anomalyThreshold
  return {
    verdict: backdoored ? 'backdoored' : 'clean',
    targetLabel: backdoored ? found[smallest].label : null,
    anomalyIndex: index,
    labels: found,
  }
}
