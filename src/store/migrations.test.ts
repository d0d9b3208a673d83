import { describe, expect, it } from 'vitest'
import { droppedMeanwhile } from './migrations.js'

/** PostgreSQL errors as `pg` raises them: a SQLSTATE code and the server's message. */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code })

describe('droppedMeanwhile', () => {
  it('takes another schema dropped during the migration lookup for a race to retry', () => {
    expect(droppedMeanwhile(pgError('3F000', 'schema "pgtest_other" does not exist'), 'mine')).toBe(true)
    const lock = pgError('42P01', 'relation "pgtest_other.kysely_migration_lock" does not exist')
    expect(droppedMeanwhile(lock, 'mine')).toBe(true)
  })

  it("does not retry a failure of the store's own schema or tables, or any other error", () => {
    expect(droppedMeanwhile(pgError('3F000', 'schema "mine" does not exist'), 'mine')).toBe(false)
    expect(
      droppedMeanwhile(pgError('42P01', 'relation "mine.kysely_migration" does not exist'), 'mine'),
    ).toBe(false)
    // Unqualified, the relation could be this store's own.
    expect(droppedMeanwhile(pgError('42P01', 'relation "batches" does not exist'), 'mine')).toBe(false)
    expect(droppedMeanwhile(pgError('42P01', 'relation "other.t" does not exist'), undefined)).toBe(false)
    expect(droppedMeanwhile(pgError('42501', 'permission denied for schema other'), 'mine')).toBe(false)
    expect(droppedMeanwhile(undefined, 'mine')).toBe(false)
  })
})
