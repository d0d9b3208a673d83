import { describe, expect, it } from 'vitest'
import { combineHashes, fnv1a, mixHash } from './hashing.js'

describe('fnv1a', () => {
  it('matches the published FNV-1a 32-bit test vectors', () => {
    expect(fnv1a('')).toBe(0x811c9dc5)
    expect(fnv1a('a')).toBe(0xe40c292c)
    expect(fnv1a('foobar')).toBe(0xbf9cf968)
  })

  it('hashes a range exactly like the substring', () => {
    expect(fnv1a('xxfoobarxx', 2, 8)).toBe(fnv1a('foobar'))
  })
})

describe('mixHash and combineHashes', () => {
  it('spread nearby keys over the low bits and depend on order', () => {
    const buckets = new Set<number>()
    for (let key = 0; key < 1024; key++) buckets.add(mixHash(key) & 1023)
    expect(buckets.size).toBeGreaterThan(600)
    expect(combineHashes(fnv1a('new'), fnv1a('york'))).not.toBe(combineHashes(fnv1a('york'), fnv1a('new')))
    expect(mixHash(0xffffffff)).toBeGreaterThanOrEqual(0)
  })
})
