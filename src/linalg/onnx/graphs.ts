import { encodeModel } from './model.js'

/**
 * Top-k of `‖b‖² − 2 q·b` over base rows for a block of queries: ranks base rows by euclidean distance to each
 * query (the query's own `‖q‖²` is a per-row constant, added afterwards). With zero norms and L2-normalised rows it
 * ranks by cosine distance. Inputs: `queries` [m,d], `base` [n,d], `baseBias` [n] (squared norms), `k` [1] int64.
 * Outputs: `scores` [m,k] ascending and `indices` [m,k] int64.
 */
export function encodeKnnModel(): Uint8Array {
  return encodeModel({
    name: 'knn_scores_topk',
    inputs: [
      { name: 'queries', type: 'float', shape: ['queryCount', 'dimensions'] },
      { name: 'base', type: 'float', shape: ['baseCount', 'dimensions'] },
      { name: 'baseBias', type: 'float', shape: ['baseCount'] },
      { name: 'k', type: 'int64', shape: [1] },
    ],
    outputs: [
      { name: 'scores', type: 'float', shape: ['queryCount', 'kOut'] },
      { name: 'indices', type: 'int64', shape: ['queryCount', 'kOut'] },
    ],
    nodes: [
      {
        op: 'Gemm',
        inputs: ['queries', 'base', 'baseBias'],
        outputs: ['allScores'],
        attributes: { alpha: { float: -2 }, beta: { float: 1 }, transB: { int: 1 } },
      },
      {
        op: 'TopK',
        inputs: ['allScores', 'k'],
        outputs: ['scores', 'indices'],
        attributes: { axis: { int: -1 }, largest: { int: 0 }, sorted: { int: 1 } },
      },
    ],
  })
}

/**
 * One block pair of a self-join: `products` [m,n] = −2 · `left` [m,d] · `right` [n,d]ᵀ, from which the caller
 * scores each pair the same way whichever block the query is in (the candidate's bias plus the product), with the
 * minimum of each run of `group` consecutive entries of `leftBias` [m,1] + `rightBias` [n] + products (squared
 * distances, rounded in float32) along a row (`rowMinima` [m, n/group]) and along a column (`columnMinima`
 * [m/group, n]), so the caller reads only the runs that can hold a neighbour. `rowGroups` = [m, n/group, group]
 * and `columnGroups` = [m/group, group, n] (int64) are the reshapes; m and n are multiples of the group.
 */
export function encodePairProductModel(): Uint8Array {
  return encodeModel({
    name: 'knn_pair_products',
    inputs: [
      { name: 'left', type: 'float', shape: ['leftCount', 'dimensions'] },
      { name: 'right', type: 'float', shape: ['rightCount', 'dimensions'] },
      { name: 'leftBias', type: 'float', shape: ['leftCount', 1] },
      { name: 'rightBias', type: 'float', shape: ['rightCount'] },
      { name: 'rowGroups', type: 'int64', shape: [3] },
      { name: 'columnGroups', type: 'int64', shape: [3] },
    ],
    outputs: [
      { name: 'products', type: 'float', shape: ['leftCount', 'rightCount'] },
      { name: 'rowMinima', type: 'float', shape: ['leftCount', 'rowGroupCount'] },
      { name: 'columnMinima', type: 'float', shape: ['columnGroupCount', 'rightCount'] },
    ],
    nodes: [
      {
        op: 'Gemm',
        inputs: ['left', 'right'],
        outputs: ['products'],
        attributes: { alpha: { float: -2 }, transB: { int: 1 } },
      },
      { op: 'Add', inputs: ['products', 'rightBias'], outputs: ['rowScores'] },
      { op: 'Add', inputs: ['rowScores', 'leftBias'], outputs: ['distances'] },
      { op: 'Reshape', inputs: ['distances', 'rowGroups'], outputs: ['byRowGroup'] },
      {
        op: 'ReduceMin',
        inputs: ['byRowGroup'],
        outputs: ['rowMinima'],
        attributes: { axes: { ints: [2] }, keepdims: { int: 0 } },
      },
      { op: 'Reshape', inputs: ['distances', 'columnGroups'], outputs: ['byColumnGroup'] },
      {
        op: 'ReduceMin',
        inputs: ['byColumnGroup'],
        outputs: ['columnMinima'],
        attributes: { axes: { ints: [1] }, keepdims: { int: 0 } },
      },
    ],
  })
}

/** Plain matrix product `a` [m,k] · `b` [k,n] → `product` [m,n]. */
export function encodeMatmulModel(): Uint8Array {
  return encodeModel({
    name: 'matmul',
    inputs: [
      { name: 'a', type: 'float', shape: ['m', 'k'] },
      { name: 'b', type: 'float', shape: ['k', 'n'] },
    ],
    outputs: [{ name: 'product', type: 'float', shape: ['m', 'n'] }],
    nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['product'] }],
  })
}
