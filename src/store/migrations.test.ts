import { describe, expect, it } from 'vitest'
import { columnDroppedWhileListing, droppedMeanwhile } from './migrations.js'

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

describe('columnDroppedWhileListing', () => {
  const racing = pgError('42703', 'column "current_version_id" of relation "datasets" does not exist')

  it('takes a column vanishing while the tables were listed, before any migration ran, for a race to retry', () => {
    expect(columnDroppedWhileListing({ error: racing })).toBe(true)
    expect(columnDroppedWhileListing({ error: racing, results: [] })).toBe(true)
  })

  it("does not retry a migration of this store's own that failed, or any other error", () => {
    const failed = [{ migrationName: '0005', direction: 'Up' as const, status: 'Error' as const }]
    expect(columnDroppedWhileListing({ error: racing, results: failed })).toBe(false)
    expect(columnDroppedWhileListing({ error: pgError('42501', 'permission denied') })).toBe(false)
    expect(columnDroppedWhileListing({})).toBe(false)
  })
})
