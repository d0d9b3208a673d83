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
 * One block pair of a self-join: the scores `bias − 2 l·r` of left rows against right rows are computed once and
 * ranked both ways, so the pair (i, j) serves the queries of block i and of block j. Inputs: `left` [m,d], `right`
 * [n,d], `leftBias` [m,1], `rightBias` [n], `rowK` and `columnK` [1] int64. Outputs: for each left row its best
 * right rows (`rowScores`, `rowIndices` [m,rowK]), and for each right row its best left rows (`columnScores`,
 * `columnIndices` [n,columnK]), ascending.
 */
export function encodeKnnPairModel(): Uint8Array {
  return encodeModel({
    name: 'knn_pair_scores_topk',
    inputs: [
      { name: 'left', type: 'float', shape: ['leftCount', 'dimensions'] },
      { name: 'right', type: 'float', shape: ['rightCount', 'dimensions'] },
      { name: 'leftBias', type: 'float', shape: ['leftCount', 1] },
      { name: 'rightBias', type: 'float', shape: ['rightCount'] },
      { name: 'rowK', type: 'int64', shape: [1] },
      { name: 'columnK', type: 'int64', shape: [1] },
    ],
    outputs: [
      { name: 'rowScores', type: 'float', shape: ['leftCount', 'rowKOut'] },
      { name: 'rowIndices', type: 'int64', shape: ['leftCount', 'rowKOut'] },
      { name: 'columnScores', type: 'float', shape: ['rightCount', 'columnKOut'] },
      { name: 'columnIndices', type: 'int64', shape: ['rightCount', 'columnKOut'] },
    ],
    nodes: [
      {
        op: 'Gemm',
        inputs: ['left', 'right'],
        outputs: ['products'],
        attributes: { alpha: { float: -2 }, transB: { int: 1 } },
      },
      { op: 'Add', inputs: ['products', 'rightBias'], outputs: ['rowAll'] },
      { op: 'Add', inputs: ['products', 'leftBias'], outputs: ['columnScoresByLeft'] },
      // Ranked along the last axis after a transpose: TopK along the first axis walks memory with a stride.
      { op: 'Transpose', inputs: ['columnScoresByLeft'], outputs: ['columnAll'] },
      {
        op: 'TopK',
        inputs: ['rowAll', 'rowK'],
        outputs: ['rowScores', 'rowIndices'],
        attributes: { axis: { int: 1 }, largest: { int: 0 }, sorted: { int: 1 } },
      },
      {
        op: 'TopK',
        inputs: ['columnAll', 'columnK'],
        outputs: ['columnScores', 'columnIndices'],
        attributes: { axis: { int: 1 }, largest: { int: 0 }, sorted: { int: 1 } },
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
