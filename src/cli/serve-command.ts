import { createPublicKey } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { type Command, InvalidArgumentError } from 'commander'
import { cleanAbandonedRuns, describeReaped } from '../distributed/reap.js'
import { startScanWorker } from '../distributed/worker.js'
import { PoisonguardError } from '../errors.js'
import { startService, startWorker } from '../server/service.js'
import { type AuditVerification, verifyAuditLog, verifyStoredAuditLog } from '../store/audit-verify.js'
import { rotateMasterKey } from '../store/rotate.js'
import type { SignedTreeHead } from '../store/store.js'
import { exitCodeForVerification } from '../workflows/exit-codes.js'
import { exitCodesLine } from './exit-code-help.js'
import type { CliIo } from './io.js'
import { parsePositiveInteger } from './options.js'

interface StoreFlags {
  dataDir: string
  db?: string
  masterKeyFile?: string
}

function addStoreOptions(command: Command): Command {
  return command
    .requiredOption('--data-dir <dir>', 'folder of the embedded database and the master key file')
    .option('--db <url>', 'postgres://… to keep the store in PostgreSQL instead of SQLite')
    .option(
      '--master-key-file <file>',
      'base64 master key (default <data-dir>/master.key; or set POISONGUARD_MASTER_KEY)',
    )
}

function parsePort(value: string): number {
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new InvalidArgumentError('expected a port number 0–65535')
  return port
}

/** Resolves on SIGINT or SIGTERM, so `serve` closes its connections and the store cleanly. */
function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve(signal)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

function registerServe(program: Command, io: CliIo): void {
  addStoreOptions(
    program
      .command('serve')
      .description('run the secure intake service: every batch verified, checked, scanned and gated'),
  )
    .option('--port <n>', 'port to listen on (0 picks a free one)', parsePort, 8080)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--queue <url>', 'redis://… to run intake jobs on BullMQ (default: in this process)')
    .option('--body-limit <bytes>', 'largest request body, i.e. batch upload', parsePositiveInteger, 64 << 20)
    .option('--rate-per-token <n>', 'requests a minute one API token may make', parsePositiveInteger, 600)
    .option(
      '--rate-per-user <n>',
      'requests a minute one user may make over all its tokens',
      parsePositiveInteger,
      1200,
    )
    .option(
      '--trust-proxy',
      'behind a TLS-terminating proxy: trust its X-Forwarded-* headers (Secure cookies)',
    )
    .addHelpText(
      'after',
      `
The first start of an empty store creates the administrator and writes its token to <data-dir>/admin-token.
The API is described at /openapi.json.

Examples:
  $ poisonguard serve --port 8080 --data-dir ./pg-data
  $ poisonguard serve --data-dir ./pg-data --db postgres://pg@db/poisonguard --queue redis://cache:6379

${exitCodesLine({ ok: 'stopped by a signal', badInput: 'bad input or usage (unreachable database, bad master key)' })}`,
    )
    .action(
      async (
        flags: StoreFlags & {
          port: number
          host: string
          queue?: string
          bodyLimit: number
          ratePerToken: number
          ratePerUser: number
          trustProxy?: boolean
        },
      ) => {
        const service = await startService({
          port: flags.port,
          host: flags.host,
          dataDir: flags.dataDir,
          db: flags.db,
          queue: flags.queue,
          masterKeyFile: flags.masterKeyFile,
          limits: {
            bodyLimit: flags.bodyLimit,
            rates: { perToken: flags.ratePerToken, perUser: flags.ratePerUser },
          },
          trustProxy: flags.trustProxy,
          logLevel: 'warn',
        })
        io.stderr(
          `poisonguard serve: listening on ${service.url} (review app at ${service.url}/, OpenAPI at ${service.url}/openapi.json)\n`,
        )
        if (service.adminTokenPath)
          io.stderr(`created the administrator; its token is in ${service.adminTokenPath}\n`)
        const signal = await untilStopped()
        io.stderr(`${signal}: stopping\n`)
        await service.close()
      },
    )
}

function registerWorker(program: Command, io: CliIo): void {
  program
    .command('worker')
    .description('run intake jobs and distributed scan jobs from a Redis queue')
    .requiredOption('--queue <url>', 'redis://… the queue `serve --queue` and `scan --workers` send jobs to')
    .option('--data-dir <dir>', 'take intake jobs: folder of the embedded database and the master key file')
    .option('--db <url>', 'postgres://… the intake store, when it is kept in PostgreSQL')
    .option(
      '--master-key-file <file>',
      'base64 master key (default <data-dir>/master.key; or set POISONGUARD_MASTER_KEY)',
    )
    .option('--scan-store <url>', "take `scan --workers` jobs: postgres://… the same as the scans' --store")
    .option('--queue-prefix <prefix>', "BullMQ key prefix, the same as the senders'", 'poisonguard')
    .option(
      '--job-lock <ms>',
      'scan jobs: how long a job stays with a worker that stopped answering before another takes it',
      parsePositiveInteger,
      15_000,
    )
    .option(
      '--clean',
      'with --scan-store: remove what abandoned scans left (coordinator killed, lease expired), then exit',
    )
    .addHelpText(
      'after',
      `
Intake workers share the server's store (--db postgres://…) and master key; scan workers need only the queue and
the scan store, and read each scan's data from it. One process can do both. Start as many as the load needs, on any
machine that reaches Redis and PostgreSQL.

A scan's coordinator renews a lease on its run (scan --lease). When it stops renewing (killed outright, power cut),
scan workers remove the run's queued jobs, rows and data once the lease has expired: at start-up and every minute.
--clean does it once without taking jobs; a live scan is never removed.

Examples:
  $ poisonguard worker --queue redis://cache:6379 --db postgres://pg@db/poisonguard --data-dir ./pg-data
  $ poisonguard worker --queue redis://cache:6379 --scan-store postgres://pg@db/poisonguard
  $ poisonguard worker --queue redis://cache:6379 --scan-store postgres://pg@db/poisonguard --clean

${exitCodesLine({ ok: 'stopped by a signal (with --clean: done)', badInput: 'bad input or usage (unreachable database or queue)' })}`,
    )
    .action(
      async (
        flags: Partial<StoreFlags> & {
          queue: string
          queuePrefix: string
          scanStore?: string
          jobLock: number
          clean?: boolean
        },
      ) => {
        if (flags.clean) {
          if (!flags.scanStore)
            throw new PoisonguardError(
              'INVALID_ARGUMENT',
              '--clean needs the scan store: --scan-store postgres://…',
            )
          const runs = await cleanAbandonedRuns({
            queue: flags.queue,
            store: flags.scanStore,
            prefix: flags.queuePrefix,
          })
          io.stdout(`${runs.length > 0 ? describeReaped(runs) : 'no abandoned scan runs'}\n`)
          return
        }
        if (!flags.dataDir && !flags.scanStore)
          throw new PoisonguardError(
            'INVALID_ARGUMENT',
            'worker needs work to take: --data-dir for intake jobs, --scan-store for scan jobs, or both',
          )
        const stoppers: Array<() => Promise<void>> = []
        try {
          if (flags.dataDir) {
            const intake = await startWorker({ ...flags, dataDir: flags.dataDir, logLevel: 'warn' })
            stoppers.push(() => intake.close())
          }
          if (flags.scanStore) {
            const scans = await startScanWorker({
              queue: flags.queue,
              store: flags.scanStore,
              prefix: flags.queuePrefix,
              lockMs: flags.jobLock,
              onReaped: (outcome) =>
                io.stderr(
                  'runs' in outcome
                    ? `${describeReaped(outcome.runs)}\n`
                    : `warning: could not look for abandoned scan runs: ${outcome.error.message}\n`,
                ),
            })
            stoppers.push(() => scans.close())
          }
          const kinds = [flags.dataDir && 'intake', flags.scanStore && 'scan'].filter(Boolean).join(' and ')
          io.stderr(`poisonguard worker: waiting for ${kinds} jobs\n`)
          const signal = await untilStopped()
          io.stderr(`${signal}: stopping after the current job\n`)
        } finally {
          for (const stop of stoppers) await stop()
        }
      },
    )
}

async function readJsonFile<T>(path: string, what: string): Promise<T> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw PoisonguardError.at(
      'FILE_NOT_FOUND',
      { file: path },
      `cannot read the ${what}: ${(error as Error).message}`,
    )
  }
  try {
    return JSON.parse(text) as T
  } catch (error) {
    throw PoisonguardError.at(
      'PARSE_ERROR',
      { file: path },
      `the ${what} is not JSON: ${(error as Error).message}`,
    )
  }
}

function registerAudit(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const audit = program.command('audit').description('the tamper-evident audit log of the intake service')
  audit
    .command('verify')
    .description('check audit entries against a signed tree head, offline')
    .requiredOption('--head <file>', 'a signed tree head saved from GET /v1/audit/head')
    .requiredOption('--pub <file>', 'the public key from GET /v1/audit/key (PEM)')
    .option('--entries <file>', 'entries saved from GET /v1/audit/entries')
    .option('--data-dir <dir>', 'read the entries from this store instead')
    .option('--db <url>', 'postgres://… store to read the entries from')
    .option('--master-key-file <file>', 'the store master key file')
    .addHelpText(
      'after',
      `
Examples:
  $ poisonguard audit verify --head head.json --pub audit.pub.pem --entries entries.json
  $ poisonguard audit verify --head head.json --pub audit.pub.pem --data-dir ./pg-data

${exitCodesLine({ ok: 'verified', verificationFailed: 'the log does not match the signed head' })}`,
    )
    .action(
      async (flags: {
        head: string
        pub: string
        entries?: string
        dataDir?: string
        db?: string
        masterKeyFile?: string
      }) => {
        const head = await readJsonFile<SignedTreeHead>(flags.head, 'tree head')
        const publicKey = createPublicKey(await readFile(flags.pub))
        let result: AuditVerification
        if (flags.entries) {
          const saved = await readJsonFile<{ entries: { seq: number; entry: string }[] }>(
            flags.entries,
            'entries file',
          )
          result = verifyAuditLog(saved.entries, head, publicKey)
        } else if (flags.dataDir) {
          const store = { dataDir: flags.dataDir, db: flags.db, masterKeyFile: flags.masterKeyFile }
          result = await verifyStoredAuditLog(store, head, publicKey)
        } else
          throw new PoisonguardError(
            'INVALID_ARGUMENT',
            'give the entries: --entries <file> or --data-dir <dir>',
          )
        if (result.ok)
          io.stdout(`verified: ${result.entries} audit entries match the signed tree head ${head.rootHash}\n`)
        else
          io.stderr(
            `audit verification failed:\n${result.failures.map((failure) => `  - ${failure}`).join('\n')}\n`,
          )
        setExitCode(exitCodeForVerification(result.ok))
      },
    )
}

function registerKeys(program: Command, io: CliIo): void {
  const keys = program.command('keys').description('the master key that encrypts the service store')
  addStoreOptions(
    keys.command('rotate').description('rewrap every data key under a new master key, in one transaction'),
  )
    .addHelpText(
      'after',
      `
With a key file, the new key replaces it after the commit. With POISONGUARD_MASTER_KEY, set the new key in
POISONGUARD_NEW_MASTER_KEY, rotate, then make it POISONGUARD_MASTER_KEY. Stop the service first.

Example:
  $ poisonguard keys rotate --data-dir ./pg-data`,
    )
    .action(async (flags: StoreFlags) => {
      const result = await rotateMasterKey({
        dataDir: flags.dataDir,
        db: flags.db,
        masterKeyFile: flags.masterKeyFile,
      })
      io.stdout(
        `rewrapped ${result.blobs} data keys under master key ${result.keyId}${result.keyFile ? ` (now in ${result.keyFile})` : ''}\n`,
      )
    })
}

/** Registers `serve`, `worker`, `audit verify` and `keys rotate`. */
export function registerServiceCommands(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  registerServe(program, io)
  registerWorker(program, io)
  registerAudit(program, io, setExitCode)
  registerKeys(program, io)
}
