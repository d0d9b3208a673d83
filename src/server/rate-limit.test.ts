import { describe, expect, test } from 'vitest'
import type { Principal } from '../store/access.js'
import { RateLimitedError, RateLimiter, RequestLimits } from './rate-limit.js'

function clock() {
  let now = 1_000_000
  return { now: () => now, advance: (ms: number) => (now += ms) }
}

const caller = (userId: string, tokenId: string): Principal => ({
  userId,
  userName: userId,
  isAdmin: false,
  tokenId,
  scopes: ['read'],
  projectId: null,
})

describe('RateLimiter', () => {
  test("allows a minute's allowance at once, then refills at that rate", () => {
    const time = clock()
    const limiter = new RateLimiter(6, time.now)
    for (let request = 0; request < 6; request++) expect(limiter.take('a')).toBe(0)
    expect(limiter.take('a')).toBe(10)
    time.advance(9_000)
    expect(limiter.take('a')).toBe(1)
    time.advance(1_000)
    expect(limiter.take('a')).toBe(0)
    expect(limiter.take('a')).toBe(10)
    expect(limiter.take('b')).toBe(0)
  })

  test('forgets refilled buckets beyond its key limit, never a bucket still spending', () => {
    const time = clock()
    const limiter = new RateLimiter(1, time.now, 2)
    expect(limiter.take('idle')).toBe(0)
    time.advance(60_000)
    expect(limiter.take('busy')).toBe(0)
    expect(limiter.take('new')).toBe(0)
    expect(limiter.take('busy')).toBeGreaterThan(0)
    expect(limiter.take('idle')).toBe(0)
  })
})

describe('RequestLimits', () => {
  test("a token's limit leaves the user's other tokens their share of the user's limit", () => {
    const limits = new RequestLimits({ perToken: 2, perUser: 3, now: clock().now })
    limits.takeCaller(caller('u', 't1'))
    limits.takeCaller(caller('u', 't1'))
    expect(() => limits.takeCaller(caller('u', 't1'))).toThrow(/this token made more than 2/)
    limits.takeCaller(caller('u', 't2'))
    const refused = (() => {
      try {
        limits.takeCaller(caller('u', 't3'))
      } catch (error) {
        return error
      }
    })()
    expect(refused).toBeInstanceOf(RateLimitedError)
    expect((refused as RateLimitedError).code).toBe('RATE_LIMITED')
    expect((refused as RateLimitedError).message).toMatch(/this user made more than 3/)
    expect((refused as RateLimitedError).retryAfterSeconds).toBe(20)
    limits.takeCaller(caller('v', 't4'))
  })
})
