import { createRng, type Rng } from '../util/rng.js'
import type { AnnotationTable } from './types.js'

/** How one simulated annotator answers. */
export type SimulatedAnnotator =
  | { kind: 'honest'; accuracy: number }
  /** Answers drawn from its own label shares, whatever the item. */
  | { kind: 'spammer' }
  /** Honest at `accuracy`, but items of class `victim` always get `target`. */
  | { kind: 'targeted'; accuracy: number; victim: number; target: number }
  /** As targeted, but the colluders also answer in bursts close in time to each other. */
  | { kind: 'colluder'; accuracy: number; victim: number; target: number }

export interface SimulatedCrowd {
  readonly table: AnnotationTable
  readonly truth: Int32Array
}

function wrongLabel(truth: number, classCount: number, rng: Rng): number {
  const shift = 1 + rng.int(classCount - 1)
  return (truth + shift) % classCount
}

function answer(annotator: SimulatedAnnotator, truth: number, classCount: number, rng: Rng): number {
  if (annotator.kind === 'spammer') return rng.int(classCount)
  if (annotator.kind !== 'honest' && truth === annotator.victim) return annotator.target
  return rng.next() < annotator.accuracy ? truth : wrongLabel(truth, classCount, rng)
}

/**
 * A crowd with known truth: each item gets `perItem` distinct annotators drawn at random; honest answers are
 * right at the annotator's accuracy and otherwise uniformly wrong. Times: each annotator works at its own pace
 * from its own start; colluders share one clock so their answers to an item land seconds apart.
 */
export function simulateCrowd(
  truth: Int32Array,
  classCount: number,
  annotators: readonly SimulatedAnnotator[],
  perItem: number,
  seed: number,
): SimulatedCrowd {
  const rng = createRng(seed)
  const item: number[] = []
  const annotator: number[] = []
  const label: number[] = []
  const time: number[] = []
  const chosen = new Int32Array(annotators.length)
  for (let i = 0; i < truth.length; i++) {
    chosen.fill(0)
    for (let picked = 0; picked < perItem; ) {
      const j = rng.int(annotators.length)
      if (chosen[j]) continue
      chosen[j] = 1
      picked++
      item.push(i)
      annotator.push(j)
      label.push(answer(annotators[j], truth[i], classCount, rng))
      const clock =
        annotators[j].kind === 'colluder' ? i * 600 + rng.int(20) : i * 600 + rng.next() * 1e6 * (j + 1)
      time.push(clock)
    }
  }
  const table: AnnotationTable = {
    itemIds: Array.from(truth, (_, i) => `item${i}`),
    annotatorIds: annotators.map((_, j) => `worker${j}`),
    classes: Array.from({ length: classCount }, (_, k) => `c${k}`),
    item: Int32Array.from(item),
    annotator: Int32Array.from(annotator),
    label: Int32Array.from(label),
    time: Float64Array.from(time),
  }
  return { table, truth }
}

/** Share of items whose consensus label is the truth. */
export function accuracyOf(labels: Int32Array, truth: Int32Array): number {
  let right = 0
  for (let i = 0; i < truth.length; i++) if (labels[i] === truth[i]) right++
  return right / truth.length
}

/** `count` accuracies evenly spread over [low, high], shuffled by the seed so quality is not tied to index. */
export function spreadAccuracies(count: number, low: number, high: number): number[] {
  return Array.from({ length: count }, (_, j) => low + ((high - low) * j) / Math.max(count - 1, 1))
}
