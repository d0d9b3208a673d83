/** A seeded pseudo-random generator (mulberry32); the core never uses Math.random. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number
  /** Standard normal (Box–Muller). */
  normal(): number
  /**
   * Fisher–Yates shuffle of `values` in place, drawing exactly what `int(i + 1)` for i from the last index down to 1
   * would: the same order and the same state after it, without a call per swap.
   */
  shuffle(values: Int32Array): void
}

const increment = 0x6d2b79f5

/** mulberry32's output for one state, uniform in [0, 1). */
function uniformOf(state: number): number {
  let t = Math.imul(state ^ (state >>> 15), state | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0 || 0x9e3779b9
  const next = (): number => {
    state = (state + increment) >>> 0
    return uniformOf(state)
  }
  return {
    next,
    int: (maxExclusive) => Math.floor(next() * maxExclusive),
    normal: () => {
      const u = 1 - next()
      const v = next()
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
    },
    shuffle: (values) => {
      // The state in a local for the whole pass: a captured variable would be stored back at every draw.
      let local = state
      for (let i = values.length - 1; i > 0; i--) {
        local = (local + increment) >>> 0
        const j = Math.floor(uniformOf(local) * (i + 1))
        const swap = values[i]
        values[i] = values[j]
        values[j] = swap
      }
      state = local
    },
  }
}

/** Fisher–Yates shuffle of `0..count-1`. */
export function shuffledIndices(count: number, rng: Rng): Int32Array {
  const order = new Int32Array(count)
  for (let i = 0; i < count; i++) order[i] = i
  rng.shuffle(order)
  return order
}
