/** FNV-1a 32-bit offset basis; pass another start value to hash into a separate namespace. */
export const FNV_OFFSET_BASIS = 0x811c9dc5
/** FNV-1a 32-bit prime. */
export const FNV_PRIME = 0x01000193

/** FNV-1a over the UTF-16 code units of `text[start, end)`, as an unsigned 32-bit integer. */
export function fnv1a(text: string, start = 0, end = text.length, basis = FNV_OFFSET_BASIS): number {
  let hash = basis
  for (let index = start; index < end; index++) {
    hash = Math.imul(hash ^ text.charCodeAt(index), FNV_PRIME)
  }
  return hash >>> 0
}

/**
 * MurmurHash3's finaliser: spreads every input bit over the output, because FNV's low bits, which pick a bucket,
 * are weak for short keys.
 */
export function mixHash(hash: number): number {
  let mixed = hash ^ (hash >>> 16)
  mixed = Math.imul(mixed, 0x85ebca6b)
  mixed ^= mixed >>> 13
  mixed = Math.imul(mixed, 0xc2b2ae35)
  return (mixed ^ (mixed >>> 16)) >>> 0
}

/** An order-dependent hash of a pair, e.g. two consecutive words. */
export function combineHashes(first: number, second: number): number {
  return mixHash((Math.imul(first, 0x9e3779b1) ^ second ^ 0x5bd1e995) >>> 0)
}
