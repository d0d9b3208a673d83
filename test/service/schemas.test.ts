import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { openStore } from '../../src/store/open.js'
import { dropSchema, POSTGRES_URL, skipReason } from './harness.js'

/** Stores in several schemas of one PostgreSQL database: each keeps its own migrations and never mistakes another's. */
const suite = 'stores side by side in one PostgreSQL database'
describe.skipIf(skipReason('postgres', suite))(suite, () => {
  test('a store opens in a fresh schema while another schema holds a store', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'poisonguard-schemas-'))
    const schemas = ['first', 'second'].map((name) => `pgtest_${name}_${randomBytes(4).toString('hex')}`)
    try {
      const first = await openStore({ dataDir, db: POSTGRES_URL, pgSchema: schemas[0] })
      await first.close()
      const second = await openStore({ dataDir, db: POSTGRES_URL, pgSchema: schemas[1] })
      try {
        const tables = await second.db.introspection.getTables({ withInternalKyselyTables: true })
        const migrationTables = tables
          .filter((table) => table.name.startsWith('kysely_migration'))
          .map((table) => `${table.schema}.${table.name}`)
        expect(migrationTables).toEqual(
          expect.arrayContaining([`${schemas[1]}.kysely_migration`, `${schemas[1]}.kysely_migration_lock`]),
        )
        expect(await second.db.selectFrom('annotation_sets').select('id').execute()).toEqual([])
      } finally {
        await second.close()
      }
    } finally {
      for (const schema of schemas) await dropSchema(schema)
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
