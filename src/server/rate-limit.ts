import { PoisonguardError } from '../errors.js'
import type { Principal } from '../store/access.js'

/**
 * Token buckets, one per key: each holds up to `perMinute` requests and refills at `perMinute` a minute, so a
 * client may spend a minute's allowance at once but not more on average. Kept in memory, per server process.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()
  private readonly refillPerMs: number

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
    /** Beyond this many keys, buckets that refilled completely are forgotten (they equal a fresh one). */
    private readonly maxKeys = 10_000,
  ) {
    this.refillPerMs = perMinute / 60_000
  }

  /** Spends one request of `key`; returns 0 when allowed, else the whole seconds until one is available. */
  take(key: string): number {
    const now = this.now()
    const bucket = this.buckets.get(key)
    const tokens = bucket
      ? Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * this.refillPerMs)
      : this.perMinute
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now })
      return Math.max(1, Math.ceil((1 - tokens) / this.refillPerMs / 1000))
    }
    if (!bucket && this.buckets.size >= this.maxKeys) this.forgetFull(now)
    this.buckets.set(key, { tokens: tokens - 1, at: now })
    return 0
  }

  private forgetFull(now: number): void {
    for (const [key, bucket] of this.buckets)
      if (bucket.tokens + (now - bucket.at) * this.refillPerMs >= this.perMinute) this.buckets.delete(key)
  }
}

/** Requests a minute each kind of caller may make; the service's defaults when not given. */
export interface RequestRates {
  /** Per API token (or per user's browser sessions); default 600. */
  perToken?: number
  /** Per user, over all its tokens and sessions together; default 1200. */
  perUser?: number
  /** Per client address for calls without valid credentials (logins, refused tokens); default 120. */
  anonymous?: number
  /** The clock in milliseconds; `Date.now` unless a test stops time. */
  now?: () => number
}

/** The limiters of one server: a caller spends one request from its token's bucket and one from its user's. */
export class RequestLimits {
  private readonly token: RateLimiter
  private readonly user: RateLimiter
  private readonly anonymous: RateLimiter

  constructor(rates: RequestRates = {}) {
    const now = rates.now ?? Date.now
    this.token = new RateLimiter(rates.perToken ?? 600, now)
    this.user = new RateLimiter(rates.perUser ?? 1200, now)
    this.anonymous = new RateLimiter(rates.anonymous ?? 120, now)
  }

  /** Counts a request of an authenticated caller; throws RATE_LIMITED when its token or user is over the limit. */
  takeCaller(principal: Principal): void {
    // Sessions carry no token id: a user's browser sessions share one bucket.
    const tokenKey = principal.tokenId || `sessions:${principal.userId}`
    refuseIf(this.token.take(tokenKey), `this token made more than ${this.token.perMinute} requests a minute`)
    refuseIf(
      this.user.take(principal.userId),
      `this user made more than ${this.user.perMinute} requests a minute over all its tokens`,
    )
  }

  /** Counts a request without valid credentials from `address`. */
  takeAnonymous(address: string): void {
    refuseIf(
      this.anonymous.take(address),
      `this address made more than ${this.anonymous.perMinute} requests a minute without valid credentials`,
    )
  }
}

/** A refusal that says when to come back; the route puts the seconds into `Retry-After`. */
export class RateLimitedError extends PoisonguardError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('RATE_LIMITED', `${message}; try again in ${retryAfterSeconds} s`, {
      hint: 'spread the requests out, or ask the operator to raise the limit (serve --rate-per-token, --rate-per-user)',
    })
  }
}

function refuseIf(retryAfterSeconds: number, message: string): void {
  if (retryAfterSeconds > 0) throw new RateLimitedError(message, retryAfterSeconds)
}
