import {
  type Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResultSet,
  Migrator,
  sql,
} from 'kysely'
import { PoisonguardError } from '../errors.js'

/** The SQL dialect behind the store; only column types differ between them. */
export type Dialect = 'sqlite' | 'postgres'

function blobType(dialect: Dialect) {
  return dialect === 'postgres' ? sql`bytea` : sql`blob`
}

/** Migration 1: every table of the service. Later migrations append here and are never edited once released. */
function initial(dialect: Dialect): Migration {
  const blob = blobType(dialect)
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('is_admin', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('project_id', 'text')
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('projects')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('policy', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('members')
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('members_pk', ['project_id', 'user_id'])
        .execute()
      await db.schema
        .createTable('blobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('wrapped_key', blob, (c) => c.notNull())
        .addColumn('nonce', blob, (c) => c.notNull())
        .addColumn('tag', blob, (c) => c.notNull())
        .addColumn('ciphertext', blob, (c) => c.notNull())
        .addColumn('byte_count', 'integer', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('datasets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('current_version_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('datasets_name', ['project_id', 'name'])
        .execute()
      await db.schema
        .createTable('versions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id'))
        .addColumn('number', 'integer', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('parent_id', 'text')
        .addColumn('row_count', 'integer', (c) => c.notNull())
        .addColumn('data_blob', 'text', (c) => c.notNull().references('blobs.id'))
        .addColumn('manifest_blob', 'text', (c) => c.notNull().references('blobs.id'))
        .addColumn('sidecar_blob', 'text', (c) => c.notNull().references('blobs.id'))
        .addColumn('batch_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        // Two versions with one number would fork the history: the second concurrent writer must fail.
        .addUniqueConstraint('versions_number', ['dataset_id', 'number'])
        .execute()
      await db.schema
        .createTable('sources')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('owner_user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('public_key_pem', 'text')
        .addColumn('key_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('failure_streak', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('sources_name', ['project_id', 'name'])
        .execute()
      await db.schema
        .createTable('batches')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id'))
        .addColumn('source_id', 'text', (c) => c.notNull().references('sources.id'))
        .addColumn('submitted_by', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('data_blob', 'text', (c) => c.notNull().references('blobs.id'))
        .addColumn('manifest_blob', 'text')
        .addColumn('sidecar_blob', 'text')
        .addColumn('row_count', 'integer', (c) => c.notNull())
        .addColumn('byte_count', 'integer', (c) => c.notNull())
        .addColumn('result', 'text')
        .addColumn('reason', 'text')
        .addColumn('version_id', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('decided_at', 'text')
        .execute()
      await db.schema
        .createIndex('batches_source_time')
        .on('batches')
        .columns(['source_id', 'created_at'])
        .execute()
      await db.schema.createIndex('batches_status').on('batches').column('status').execute()
      await db.schema
        .createTable('audit_log')
        .addColumn('seq', 'integer', (c) => c.primaryKey())
        .addColumn('entry', 'text', (c) => c.notNull())
        .addColumn('leaf_hash', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('settings')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute()
    },
  }
}

/** Migration 2: passwords and browser sessions for the web login, and the failed attempts that throttle it. */
const webLogin: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('users').addColumn('password_hash', 'text').execute()
    await db.schema
      .createTable('sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('login_failures')
      .addColumn('user_name', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('login_failures_name')
      .on('login_failures')
      .columns(['user_name', 'at'])
      .execute()
  },
}

/** Migration 3: reviewers' decisions about flagged records, kept with who made them and when. */
const reviewDecisions: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('review_decisions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('batch_id', 'text', (c) => c.notNull().references('batches.id'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('label', 'text')
      .addColumn('record_ids', 'text', (c) => c.notNull())
      .addColumn('finding', 'text')
      .addColumn('actor', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('undone_at', 'text')
      .addColumn('undone_by', 'text')
      .execute()
    await db.schema
      .createIndex('review_decisions_batch')
      .on('review_decisions')
      .columns(['batch_id', 'seq'])
      .unique()
      .execute()
  },
}

/** Migration 4: contributors' crowd answers, which the intake scan of a batch aggregates. */
const annotations: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('annotation_sets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id'))
      .addColumn('source_id', 'text', (c) => c.notNull().references('sources.id'))
      .addColumn('batch_id', 'text')
      .addColumn('submitted_by', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('answers_blob', 'text', (c) => c.notNull().references('blobs.id'))
      .addColumn('answer_count', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('annotation_sets_dataset')
      .on('annotation_sets')
      .columns(['dataset_id', 'created_at'])
      .execute()
  },
}

/** Migration 5: exports become queued jobs that survive a restart like batches. */
const exportJobs: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('exports')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('version_id', 'text', (c) => c.notNull().references('versions.id'))
      .addColumn('requested_by', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('finished_at', 'text')
      .execute()
    await db.schema.createIndex('exports_status').on('exports').columns(['status', 'created_at']).execute()
  },
}

function migrationsFor(dialect: Dialect): MigrationProvider {
  return {
    getMigrations: async () => ({
      '0001_initial': initial(dialect),
      '0002_web_login': webLogin,
      '0003_review_decisions': reviewDecisions,
      '0004_annotations': annotations,
      '0005_exports': exportJobs,
    }),
  }
}

/**
 * Brings the store's tables up to date; a failed migration is rolled back and reported. On PostgreSQL, `schema` is
 * the store's own: Kysely looks for its migration tables in every schema unless told which, so stores in other
 * schemas of the same database would otherwise be mistaken for this one.
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect, schema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: migrationsFor(dialect),
    ...(schema ? { migrationTableSchema: schema } : {}),
  })
  let outcome = await migrator.migrateToLatest()
  // Kysely lists the tables of every schema to find its own; a schema another client drops meanwhile fails that
  // listing with "schema … does not exist" (3F000), or the read of a table it listed there with "relation … does
  // not exist" (42P01), although nothing is wrong with this store: list again.
  for (
    let retry = 0;
    retry < 3 && (droppedMeanwhile(outcome.error, schema) || columnDroppedWhileListing(outcome));
    retry++
  )
    outcome = await migrator.migrateToLatest()
  const { error, results } = outcome
  if (!error) return
  const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown'
  throw new PoisonguardError(
    'INVALID_ARGUMENT',
    `the store could not be migrated (migration ${failed}): ${(error as Error).message}`,
    {
      hint: 'check that the database is reachable and that this user may create tables',
      cause: error,
    },
  )
}

/**
 * Whether Kysely's listing of every schema's tables failed on a column another client dropped or renamed meanwhile
 * ("column … of relation … does not exist", 42703, which names no schema): no migration of this store had failed.
 */
export function columnDroppedWhileListing(outcome: MigrationResultSet): boolean {
  const { code } = (outcome.error ?? {}) as { code?: unknown }
  return code === '42703' && !outcome.results?.some((result) => result.status === 'Error')
}

/** Whether a migration failed on another schema's tables vanishing (see `migrateToLatest`), not on this store's. */
export function droppedMeanwhile(error: unknown, ownSchema: string | undefined): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  if (typeof message !== 'string') return false
  if (code === '3F000') return !message.includes(`"${ownSchema}"`)
  return (
    code === '42P01' &&
    ownSchema !== undefined &&
    /relation "[^".]+\./.test(message) &&
    !message.includes(`"${ownSchema}.`)
  )
}
