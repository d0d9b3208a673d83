import { z } from 'zod'

/** The record both collision attacks aim at. */
export const collisionTargetParam = z
  .string()
  .min(1)
  .optional()
  .describe('id of the record the poisons should get misclassified (default: a random labelled record)')

/** Where both collision attacks stop: no coordinate moved more than this (in units) in one iteration. */
export const collisionTolerance = 1e-6

/** The optimiser's parameters both collision attacks take, with their defaults (Shafahi et al., 2018). */
export const collisionParams = {
  norm: z.enum(['linf', 'l2']).default('linf').describe('norm of the perturbation budget'),
  epsilon: z
    .number()
    .gt(0)
    .default(0.3)
    .describe(
      'budget per poison, in units of the pixel range (images) or of each column’s standard deviation',
    ),
  beta: z
    .number()
    .min(0)
    .default(0.25)
    .describe('weight of staying close to the base input (β of the paper)'),
  iterations: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(200)
    .describe('forward-backward iterations at most'),
  stepSize: z.number().gt(0).lt(2).default(0.5).describe('step of the gradient (forward) step'),
}

/** Settings of the forward-backward splitting; distances are in units (`x / unit` per column). */
export interface CollisionSettings {
  readonly beta: number
  readonly stepSize: number
  readonly iterations: number
  readonly norm: 'l2' | 'linf'
  readonly epsilon: number
  /** Stop once no coordinate moves more than this (in units) in one iteration. */
  readonly tolerance: number
}

/** Per-column bounds and units shared by every poison of one attack. */
export interface CollisionSpace {
  readonly min: Float32Array
  readonly max: Float32Array
  readonly unit: Float32Array
}

/**
 * Projects `point` onto the budget ball around `base` intersected with the observed box. The L∞ case is exact;
 * for L2 the ball projection is followed by clipping, which keeps the point inside the ball because `base` lies
 * in the box (clipping only moves coordinates toward it).
 */
function project(
  point: Float64Array,
  base: Float32Array,
  space: CollisionSpace,
  settings: CollisionSettings,
) {
  const { min, max, unit } = space
  const { epsilon } = settings
  if (settings.norm === 'l2') {
    let squared = 0
    for (let col = 0; col < point.length; col++) squared += ((point[col] - base[col]) / unit[col]) ** 2
    const norm = Math.sqrt(squared)
    if (norm > epsilon) {
      const shrink = epsilon / norm
      for (let col = 0; col < point.length; col++) point[col] = base[col] + (point[col] - base[col]) * shrink
    }
    for (let col = 0; col < point.length; col++)
      point[col] = Math.min(max[col], Math.max(min[col], point[col]))
    return
  }
  for (let col = 0; col < point.length; col++) {
    const low = Math.max(min[col], base[col] - epsilon * unit[col])
    const high = Math.min(max[col], base[col] + epsilon * unit[col])
    point[col] = Math.min(high, Math.max(low, point[col]))
  }
}

/**
 * The gradient of the collision term ½‖f(x) − f(t)‖² at `point`, in units (`x / unit` per column) and scaled back
 * to input units, written into `out`.
 */
export type CollisionGradient = (point: Float64Array, target: Float32Array, out: Float64Array) => void

/** The gradient for the linear representation f(x) = x / unit: coordinate-wise, so it reads the same in input units. */
const inputSpaceGradient: CollisionGradient = (point, target, out) => {
  for (let col = 0; col < point.length; col++) out[col] = point[col] - target[col]
}

/**
 * Feature collision by forward-backward splitting (Shafahi et al., Algorithm 1): a gradient step on
 * ½‖f(x) − f(t)‖² (by default for the linear representation f(x) = x / unit), then the proximal step of
 * (β/2)‖f(x) − f(b)‖², then the budget projection. Writes the poison into `out` and returns the iterations run.
 */
export function collide(
  base: Float32Array,
  target: Float32Array,
  space: CollisionSpace,
  settings: CollisionSettings,
  out: Float32Array,
  gradient: CollisionGradient = inputSpaceGradient,
): number {
  const { beta, stepSize } = settings
  const point = Float64Array.from(base)
  const next = new Float64Array(base.length)
  const slope = new Float64Array(base.length)
  const shrink = 1 / (1 + stepSize * beta)
  let iteration = 0
  while (iteration < settings.iterations) {
    iteration++
    gradient(point, target, slope)
    for (let col = 0; col < point.length; col++) {
      const forward = point[col] - stepSize * slope[col]
      next[col] = (forward + stepSize * beta * base[col]) * shrink
    }
    project(next, base, space, settings)
    let largestMove = 0
    for (let col = 0; col < point.length; col++) {
      largestMove = Math.max(largestMove, Math.abs(next[col] - point[col]) / space.unit[col])
      point[col] = next[col]
    }
    if (largestMove < settings.tolerance) break
  }
  for (let col = 0; col < point.length; col++) out[col] = point[col]
  return iteration
}

/** L2 and L∞ norms of `(a − b) / unit`. */
export function scaledDistances(
  a: Float32Array,
  b: Float32Array,
  unit: Float32Array,
): { l2: number; linf: number } {
  let squared = 0
  let largest = 0
  for (let col = 0; col < a.length; col++) {
    const delta = Math.abs(a[col] - b[col]) / unit[col]
    squared += delta * delta
    if (delta > largest) largest = delta
  }
  return { l2: Math.sqrt(squared), linf: largest }
}
