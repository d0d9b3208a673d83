/**
 * Regression trees on binned columns, grown leaf by leaf on gradients and hessians as gradient boosting needs
 * them. Every leaf keeps a histogram of (gradient, hessian, rows) per bin; a split builds the smaller child's
 * histogram from its rows and gets the larger one's by subtraction from its parent's.
 */

/** A forest's nodes, packed; a node with `feature[node] < 0` is a leaf of value `value[node]`. */
export interface TreeNodes {
  readonly feature: Int32Array
  /** Rows whose bin (among all columns' bins, as `binMatrix` numbers them) is at most this go left. */
  readonly threshold: Int32Array
  readonly left: Int32Array
  readonly right: Int32Array
  readonly value: Float64Array
}

export interface TreeGrowthSettings {
  readonly maxLeaves: number
  /** Penalty on leaf values, as XGBoost's `lambda`. */
  readonly l2: number
  readonly minLeafRows: number
  /** Scale of every leaf value (the learning rate). */
  readonly shrinkage: number
}

/** Binned rows (rows × cols) with their bin offsets, and per-row gradients and hessians to fit. */
export interface GrowthInput {
  readonly codes: Uint16Array
  readonly cols: number
  readonly offsets: Int32Array
  readonly gradients: Float64Array
  readonly hessians: Float64Array
}

const minChildHessian = 1e-3

interface Leaf {
  node: number
  start: number
  end: number
  histogram: Float64Array
  gradient: number
  hessian: number
  gain: number
  splitFeature: number
  splitBin: number
}

/** Builds a leaf's histogram from its rows `order[start..end)`. */
function fillHistogram(input: GrowthInput, order: Int32Array, start: number, end: number, out: Float64Array) {
  const { codes, cols, gradients, hessians } = input
  out.fill(0)
  for (let position = start; position < end; position++) {
    const row = order[position]
    const gradient = gradients[row]
    const hessian = hessians[row]
    const base = row * cols
    for (let col = 0; col < cols; col++) {
      const slot = codes[base + col] * 3
      out[slot] += gradient
      out[slot + 1] += hessian
      out[slot + 2]++
    }
  }
}

/** Sets the leaf's best split (its gain stays 0 when none is allowed or helps). */
function findSplit(leaf: Leaf, input: GrowthInput, settings: TreeGrowthSettings) {
  const { histogram, gradient, hessian } = leaf
  const rowCount = leaf.end - leaf.start
  const { l2, minLeafRows } = settings
  const parentScore = (gradient * gradient) / (hessian + l2)
  leaf.gain = 0
  for (let col = 0; col < input.cols; col++) {
    let leftGradient = 0
    let leftHessian = 0
    let leftRows = 0
    for (let slot = input.offsets[col]; slot < input.offsets[col + 1] - 1; slot++) {
      leftGradient += histogram[slot * 3]
      leftHessian += histogram[slot * 3 + 1]
      leftRows += histogram[slot * 3 + 2]
      if (leftRows < minLeafRows) continue
      if (rowCount - leftRows < minLeafRows) break
      const rightHessian = hessian - leftHessian
      if (leftHessian < minChildHessian || rightHessian < minChildHessian) continue
      const rightGradient = gradient - leftGradient
      const gain =
        (leftGradient * leftGradient) / (leftHessian + l2) +
        (rightGradient * rightGradient) / (rightHessian + l2) -
        parentScore
      if (gain > leaf.gain) {
        leaf.gain = gain
        leaf.splitFeature = col
        leaf.splitBin = slot
      }
    }
  }
}

/** Moves the leaf's rows that go left to the front of its range; returns where the right ones start. */
function partitionRows(leaf: Leaf, input: GrowthInput, order: Int32Array): number {
  const { codes, cols } = input
  let front = leaf.start
  let back = leaf.end - 1
  while (front <= back) {
    if (codes[order[front] * cols + leaf.splitFeature] <= leaf.splitBin) front++
    else {
      const swap = order[front]
      order[front] = order[back]
      order[back--] = swap
    }
  }
  return front
}

/** A forest under construction: nodes appended, histograms recycled from leaf to leaf. */
export class ForestBuilder {
  readonly nodes: TreeNodes
  nodeCount = 0
  private readonly spare: Float64Array[] = []
  private readonly binCount: number

  constructor(maxNodes: number, binCount: number) {
    this.nodes = {
      feature: new Int32Array(maxNodes).fill(-1),
      threshold: new Int32Array(maxNodes),
      left: new Int32Array(maxNodes),
      right: new Int32Array(maxNodes),
      value: new Float64Array(maxNodes),
    }
    this.binCount = binCount
  }

  private histogram(): Float64Array {
    return this.spare.pop() ?? new Float64Array(this.binCount * 3)
  }

  private leaf(
    start: number,
    end: number,
    histogram: Float64Array,
    input: GrowthInput,
    settings: TreeGrowthSettings,
  ) {
    let gradient = 0
    let hessian = 0
    // Any one column's bins add up to the leaf's totals.
    for (let slot = input.offsets[0]; slot < input.offsets[1]; slot++) {
      gradient += histogram[slot * 3]
      hessian += histogram[slot * 3 + 1]
    }
    const leaf: Leaf = {
      node: this.nodeCount++,
      start,
      end,
      histogram,
      gradient,
      hessian,
      gain: 0,
      splitFeature: -1,
      splitBin: 0,
    }
    findSplit(leaf, input, settings)
    return leaf
  }

  /**
   * Grows one tree on the rows `order[start..end)` (reordered in place) and returns its root; `onLeaf` gets each
   * leaf's range of `order` and its value.
   */
  grow(
    input: GrowthInput,
    order: Int32Array,
    settings: TreeGrowthSettings,
    onLeaf: (start: number, end: number, value: number) => void,
  ): number {
    const rootHistogram = this.histogram()
    fillHistogram(input, order, 0, order.length, rootHistogram)
    const leaves = [this.leaf(0, order.length, rootHistogram, input, settings)]
    const root = leaves[0].node
    while (leaves.length < settings.maxLeaves) {
      let best = 0
      for (let index = 1; index < leaves.length; index++)
        if (leaves[index].gain > leaves[best].gain) best = index
      const parent = leaves[best]
      if (!(parent.gain > 0)) break
      const middle = partitionRows(parent, input, order)
      const leftIsSmaller = middle - parent.start <= parent.end - middle
      const small = this.histogram()
      if (leftIsSmaller) fillHistogram(input, order, parent.start, middle, small)
      else fillHistogram(input, order, middle, parent.end, small)
      const large = parent.histogram
      for (let slot = 0; slot < large.length; slot++) large[slot] -= small[slot]
      const left = this.leaf(parent.start, middle, leftIsSmaller ? small : large, input, settings)
      const right = this.leaf(middle, parent.end, leftIsSmaller ? large : small, input, settings)
      this.nodes.feature[parent.node] = parent.splitFeature
      this.nodes.threshold[parent.node] = parent.splitBin
      this.nodes.left[parent.node] = left.node
      this.nodes.right[parent.node] = right.node
      leaves.splice(best, 1, left, right)
    }
    for (const leaf of leaves) {
      const value = (-settings.shrinkage * leaf.gradient) / (leaf.hessian + settings.l2)
      this.nodes.value[leaf.node] = value
      onLeaf(leaf.start, leaf.end, value)
      this.spare.push(leaf.histogram)
    }
    return root
  }
}

/** The value of the leaf a binned row reaches from `root`. */
export function leafValue(nodes: TreeNodes, root: number, codes: Uint16Array, base: number): number {
  let node = root
  while (nodes.feature[node] >= 0)
    node = codes[base + nodes.feature[node]] <= nodes.threshold[node] ? nodes.left[node] : nodes.right[node]
  return nodes.value[node]
}
