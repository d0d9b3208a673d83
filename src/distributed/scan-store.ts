import type { Pool, PoolClient } from 'pg'
import { PoisonguardError } from '../errors.js'
import { importOptionalPackage } from '../io/optional-package.js'
import { redactUrl } from '../store/open.js'

/*
 * The durable side of a distributed scan, in PostgreSQL: content-addressed blobs (the matrices workers read), each
 * job's state and its one result, and the shared analyses detector jobs asked the coordinator for. Redis (BullMQ) only says which job to run next; whatever a worker computed is
 * here, keyed by job id, written once.
 *
 * Each run holds a lease its coordinator renews. A coordinator killed outright (SIGKILL, a power cut) cannot remove
 * what its run left, so whoever finds the lease expired (a later coordinator, a worker, `poisonguard worker --clean`)
 * does: the run's row is locked while its queued jobs are taken off the queue and its rows and blobs are deleted in
 * the same transaction. Adding to a run, renewing it and writing a job's result all go through its row (or the
 * job's), so nothing is added to a run while it is being removed, and a coordinator that was only stalled past its
 * lease finds its run gone and fails instead of waiting for jobs no one will run.
 */

/** Blobs are stored in parts of this size: PostgreSQL and its client handle a few megabytes a row comfortably. */
const partBytes = 8 << 20

/**
 * Bytes are read as base64 text rather than bytea's hex: a third fewer characters for PostgreSQL to write and the
 * client to decode than hex's two per byte (100 MB read here: 0.25 against 0.55 CPU s on the reading side, and about
 * half the wall time). The client reads no binary results, and Node's decoder skips the line breaks `encode` adds.
 */
const base64 = (column: string) => `encode(${column}, 'base64') as ${column}`

/** Serialises removing unused blobs against tying a blob to a run, so a blob in use is never removed. */
const blobLock = `hashtext('poisonguard scan blobs')`

const schemaStatements = [
  `create table if not exists scan_runs (run text primary key, queue_prefix text not null, owner text not null,
     lease_ms integer not null, started_at timestamptz not null default now(),
     renewed_at timestamptz not null default now())`,
  `create table if not exists scan_blobs (digest text primary key, byte_count bigint not null,
     part_count integer not null, created_at timestamptz not null default now())`,
  `create table if not exists scan_blob_parts (digest text not null, part integer not null, bytes bytea not null,
     primary key (digest, part))`,
  `create table if not exists scan_run_blobs (run text not null, digest text not null, primary key (run, digest))`,
  `create table if not exists scan_jobs (job text primary key, run text not null, kind text not null,
     state text not null, attempts integer not null default 0, worker text, started_at timestamptz,
     finished_at timestamptz)`,
  `create index if not exists scan_jobs_run on scan_jobs (run)`,
  `create table if not exists scan_results (job text primary key, run text not null, worker text not null,
     payload bytea not null)`,
  `create index if not exists scan_results_run on scan_results (run)`,
  `create table if not exists scan_asks (run text not null, ask text not null, answer text, failure text,
     primary key (run, ask))`,
]

/** One job as the store saw it: who finished it, after how many starts. */
export interface ScanJobRecord {
  readonly job: string
  readonly kind: string
  readonly state: 'queued' | 'running' | 'done'
  readonly attempts: number
  readonly worker: string | null
}

/** The coordinator's answer to an ask: the digest of the blob holding the analysis, or why it could not be made. */
export type AskAnswer = { readonly digest: string } | { readonly failure: string }

/** A run whose lease had expired, removed with everything it left. */
export interface ReapedRun {
  readonly run: string
  /** The coordinator that started it, `<host>/<pid>`. */
  readonly owner: string
  /** Its jobs, done or not, when it was removed. */
  readonly jobs: number
}

/** The store of distributed scans: blobs, job states and results in one PostgreSQL database. */
export interface ScanStore {
  /** Starts a run whose jobs go to the queue under `queuePrefix`, held for `leaseMs` from each renewal. */
  startRun(run: string, lease: { queuePrefix: string; owner: string; leaseMs: number }): Promise<void>
  /** Renews a run's lease; false when the run is gone (removed as abandoned after its lease expired). */
  renewRun(run: string): Promise<boolean>
  /** Stores bytes under their digest (once, however often asked) and ties them to a run for clean-up. */
  putBlob(run: string, digest: string, bytes: Uint8Array): Promise<void>
  getBlob(digest: string): Promise<Uint8Array>
  addJobs(run: string, jobs: ReadonlyArray<{ job: string; kind: string }>): Promise<void>
  /** Marks a job started by `worker`; false when it is already done (a second delivery), so it need not run. */
  startJob(job: string, worker: string): Promise<boolean>
  /**
   * Writes a job's result unless one is there already, or its run was removed; only the first write counts, and
   * marks the job done.
   */
  finishJob(job: string, run: string, worker: string, payload: Uint8Array): Promise<boolean>
  /** Which of the given jobs have a result. */
  finishedJobs(jobs: readonly string[]): Promise<Set<string>>
  readResult(job: string): Promise<Uint8Array>
  jobs(run: string): Promise<ScanJobRecord[]>
  /**
   * Asks the run's coordinator for a shared analysis, named by `ask`, unless it was asked for already; its answer
   * once there is one, else undefined. Every job of the run asking the same gets the one answer.
   */
  ask(run: string, ask: string): Promise<AskAnswer | undefined>
  /** The answer to an ask, or undefined while there is none; fails when the run was removed. */
  answerOf(run: string, ask: string): Promise<AskAnswer | undefined>
  /** The run's asks not answered yet. */
  openAsks(run: string): Promise<string[]>
  /** Answers an ask (also one not asked yet: an analysis prepared before its job is sent); the first answer stays. */
  answerAsk(run: string, ask: string, answer: AskAnswer): Promise<void>
  /** Removes a run's jobs and results, and the blobs no other run uses. */
  deleteRun(run: string): Promise<void>
  /**
   * Removes every run on the queue under `queuePrefix` whose lease expired, one transaction per run: with the run
   * locked, `unqueue` takes its jobs off the queue, then its rows and unused blobs are deleted. A run renewed
   * meanwhile, or being removed by another process, is left alone.
   */
  reapExpiredRuns(
    queuePrefix: string,
    unqueue: (jobs: readonly string[]) => Promise<void>,
  ): Promise<ReapedRun[]>
  close(): Promise<void>
}

/** Opens the scan store at a `postgres://…` URL, creating its tables (in `schema`, when given) on first use. */
export async function openScanStore(url: string, options: { schema?: string } = {}): Promise<ScanStore> {
  const pg = await importOptionalPackage('pg', `--store ${redactUrl(url)}`, () => import('pg'))
  const { schema } = options
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `schema name ${JSON.stringify(schema)} is not a plain lowercase identifier`,
    )
  const pool: Pool = new pg.default.Pool({
    connectionString: url,
    max: 4,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  })
  try {
    await inTransaction(pool, async (client) => {
      // Workers starting together would race to create the same tables; one lock lets one do it.
      await client.query(`select pg_advisory_xact_lock(hashtext('poisonguard scan store'))`)
      if (schema) await client.query(`create schema if not exists ${schema}`)
      for (const statement of schemaStatements) await client.query(statement)
    })
  } catch (error) {
    await pool.end()
    throw new PoisonguardError(
      'UNAVAILABLE',
      `cannot use PostgreSQL at ${redactUrl(url)} for scan jobs: ${(error as Error).message}`,
      { hint: 'check that the server runs and the URL (host, port, database, user) is right', cause: error },
    )
  }
  return createScanStore(pool)
}

async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  try {
    await client.query('begin')
    const result = await work(client)
    await client.query('commit')
    return result
  } catch (error) {
    await client.query('rollback').catch(() => {})
    throw error
  } finally {
    client.release()
  }
}

function createScanStore(pool: Pool): ScanStore {
  return {
    async startRun(run, { queuePrefix, owner, leaseMs }) {
      await pool.query('insert into scan_runs (run, queue_prefix, owner, lease_ms) values ($1, $2, $3, $4)', [
        run,
        queuePrefix,
        owner,
        leaseMs,
      ])
    },
    async renewRun(run) {
      const renewed = await pool.query('update scan_runs set renewed_at = now() where run = $1', [run])
      return (renewed.rowCount ?? 0) > 0
    },
    async putBlob(run, digest, bytes) {
      const known = await inTransaction(pool, async (client) => {
        await lockLiveRun(client, run)
        await client.query(`select pg_advisory_xact_lock_shared(${blobLock})`)
        await client.query(
          'insert into scan_run_blobs (run, digest) values ($1, $2) on conflict do nothing',
          [run, digest],
        )
        return (
          ((await client.query('select 1 from scan_blobs where digest = $1', [digest])).rowCount ?? 0) > 0
        )
      })
      if (known) return
      const partCount = Math.max(1, Math.ceil(bytes.byteLength / partBytes))
      for (let part = 0; part < partCount; part++) {
        const slice = bytes.subarray(part * partBytes, (part + 1) * partBytes)
        await pool.query(
          'insert into scan_blob_parts (digest, part, bytes) values ($1, $2, $3) on conflict do nothing',
          [digest, part, Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength)],
        )
      }
      // The blob row comes last: a reader never sees a blob whose parts are still being written.
      await pool.query(
        'insert into scan_blobs (digest, byte_count, part_count) values ($1, $2, $3) on conflict do nothing',
        [digest, bytes.byteLength, partCount],
      )
    },
    async getBlob(digest) {
      const blob = await pool.query<{ part_count: number }>(
        'select part_count from scan_blobs where digest = $1',
        [digest],
      )
      if (!blob.rowCount)
        throw new PoisonguardError('NOT_FOUND', `blob ${digest} is not in the scan store`, {
          hint: 'the coordinator removed it when its scan ended or failed; its jobs cannot run any more',
        })
      const parts = await pool.query<{ bytes: string }>(
        `select ${base64('bytes')} from scan_blob_parts where digest = $1 order by part`,
        [digest],
      )
      return Buffer.concat(parts.rows.map((row) => Buffer.from(row.bytes, 'base64')))
    },
    addJobs: (run, jobs) =>
      inTransaction(pool, async (client) => {
        await lockLiveRun(client, run)
        for (const { job, kind } of jobs)
          await client.query(
            `insert into scan_jobs (job, run, kind, state) values ($1, $2, $3, 'queued') on conflict do nothing`,
            [job, run, kind],
          )
      }),
    async startJob(job, worker) {
      const updated = await pool.query(
        `update scan_jobs set state = 'running', attempts = attempts + 1, worker = $2, started_at = now()
         where job = $1 and state <> 'done'`,
        [job, worker],
      )
      return (updated.rowCount ?? 0) > 0
    },
    finishJob: (job, run, worker, payload) =>
      inTransaction(pool, async (client) => {
        // Locking the job's row waits for a removal of its run under way; a removed run's job has no row.
        const live = await client.query('select 1 from scan_jobs where job = $1 for update', [job])
        if (!live.rowCount) return false
        const inserted = await client.query(
          'insert into scan_results (job, run, worker, payload) values ($1, $2, $3, $4) on conflict do nothing',
          [job, run, worker, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)],
        )
        if (!inserted.rowCount) return false
        await client.query(
          `update scan_jobs set state = 'done', worker = $2, finished_at = now() where job = $1`,
          [job, worker],
        )
        return true
      }),
    async finishedJobs(jobs) {
      const found = await pool.query<{ job: string }>('select job from scan_results where job = any($1)', [
        jobs,
      ])
      return new Set(found.rows.map((row) => row.job))
    },
    async readResult(job) {
      const found = await pool.query<{ payload: string }>(
        `select ${base64('payload')} from scan_results where job = $1`,
        [job],
      )
      return Buffer.from(found.rows[0].payload, 'base64')
    },
    async jobs(run) {
      const found = await pool.query<ScanJobRecord>(
        'select job, kind, state, attempts, worker from scan_jobs where run = $1 order by job',
        [run],
      )
      return found.rows
    },
    ask: (run, ask) =>
      inTransaction(pool, async (client) => {
        // Held so that a removal of the run under way finishes first, and no ask outlives its run.
        await lockLiveRun(client, run)
        await client.query('insert into scan_asks (run, ask) values ($1, $2) on conflict do nothing', [
          run,
          ask,
        ])
        return readAnswer(client, run, ask)
      }),
    async answerOf(run, ask) {
      return readAnswer(pool, run, ask)
    },
    async openAsks(run) {
      const found = await pool.query<{ ask: string }>(
        'select ask from scan_asks where run = $1 and answer is null and failure is null',
        [run],
      )
      return found.rows.map((row) => row.ask)
    },
    answerAsk: (run, ask, answer) =>
      inTransaction(pool, async (client) => {
        await lockLiveRun(client, run)
        const digest = 'digest' in answer ? answer.digest : null
        const failure = 'failure' in answer ? answer.failure : null
        await client.query(
          `insert into scan_asks (run, ask, answer, failure) values ($1, $2, $3, $4)
           on conflict (run, ask) do update set answer = $3, failure = $4
           where scan_asks.answer is null and scan_asks.failure is null`,
          [run, ask, digest, failure],
        )
      }),
    deleteRun: (run) => inTransaction(pool, (client) => deleteRunRows(client, run)),
    async reapExpiredRuns(queuePrefix, unqueue) {
      const expired = await pool.query<{ run: string }>(
        `select run from scan_runs where queue_prefix = $1 and ${leaseExpired} order by renewed_at`,
        [queuePrefix],
      )
      const reaped: ReapedRun[] = []
      for (const { run } of expired.rows) {
        const removed = await inTransaction(pool, async (client) => {
          const locked = await client.query<{ owner: string }>(
            `select owner from scan_runs where run = $1 and ${leaseExpired} for update skip locked`,
            [run],
          )
          if (!locked.rowCount) return undefined
          const jobs = await client.query<{ job: string }>('select job from scan_jobs where run = $1', [run])
          await unqueue(jobs.rows.map((row) => row.job))
          await deleteRunRows(client, run)
          return { run, owner: locked.rows[0].owner, jobs: jobs.rowCount ?? 0 }
        })
        if (removed) reaped.push(removed)
      }
      return reaped
    },
    close: () => pool.end(),
  }
}

/** The answer to an ask; undefined while there is none. */
async function readAnswer(
  client: Pick<Pool, 'query'>,
  run: string,
  ask: string,
): Promise<AskAnswer | undefined> {
  const found = await client.query<{ answer: string | null; failure: string | null }>(
    'select answer, failure from scan_asks where run = $1 and ask = $2',
    [run, ask],
  )
  if (!found.rowCount)
    throw new PoisonguardError(
      'ABORTED',
      `scan run ${run} is no longer in the scan store: its coordinator ended it or did not renew its lease in time`,
    )
  const [{ answer, failure }] = found.rows
  if (answer !== null) return { digest: answer }
  if (failure !== null) return { failure }
  return undefined
}

const leaseExpired = `renewed_at + lease_ms * interval '1 millisecond' < now()`

/** Holds a run's row until the transaction ends; fails when the run was removed (its lease expired). */
async function lockLiveRun(client: PoolClient, run: string): Promise<void> {
  const found = await client.query('select 1 from scan_runs where run = $1 for share', [run])
  if (!found.rowCount)
    throw new PoisonguardError(
      'ABORTED',
      `scan run ${run} is no longer in the scan store: its coordinator did not renew its lease in time and the run was removed as abandoned`,
      { hint: 'give the coordinator a longer lease (scan --lease <ms>)' },
    )
}

/** Deletes a run's rows (jobs first: a result being written waits for this, then finds its job gone) and unused blobs. */
async function deleteRunRows(client: PoolClient, run: string): Promise<void> {
  await client.query('delete from scan_jobs where run = $1', [run])
  await client.query('delete from scan_results where run = $1', [run])
  await client.query('delete from scan_asks where run = $1', [run])
  await client.query('delete from scan_run_blobs where run = $1', [run])
  await client.query('delete from scan_runs where run = $1', [run])
  await client.query(`select pg_advisory_xact_lock(${blobLock})`)
  // By the parts, not the blob rows: a coordinator killed while uploading leaves parts without a blob row.
  await client.query('delete from scan_blob_parts where digest not in (select digest from scan_run_blobs)')
  await client.query('delete from scan_blobs where digest not in (select digest from scan_run_blobs)')
}
