/** Every `count / limit`-th of `rows`, so a large set is read evenly and the same way each run; all of them when fewer. */
export function evenSample(rows: ArrayLike<number>, limit: number): Int32Array {
  if (rows.length <= limit) return Int32Array.from(rows)
  const sample = new Int32Array(limit)
  for (let index = 0; index < limit; index++) sample[index] = rows[Math.floor((index * rows.length) / limit)]
  return sample
}
