import { mkdirSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import { PoisonguardError } from '../errors.js'
import { generateMasterKey, type MasterKey, masterKeyFrom } from './encryption.js'
import { type Dialect, migrateToLatest } from './migrations.js'
import type { Database } from './schema.js'
import { Store } from './store.js'

/** Where the store lives and how its blobs are keyed. */
export interface OpenStoreOptions {
  /** Folder of the embedded SQLite database and, by default, the master key file. */
  dataDir: string
  /** `postgres://…` to keep everything in PostgreSQL instead of SQLite. */
  db?: string
  /** PostgreSQL schema to use (created if missing); default `public`. */
  pgSchema?: string
  /** The master key as base64; default the `POISONGUARD_MASTER_KEY` variable, then `masterKeyFile`. */
  masterKey?: string
  /** A file holding the base64 master key; default `<dataDir>/master.key`, created (mode 0600) when missing. */
  masterKeyFile?: string
}

/** Opens (and migrates) the store: SQLite in the data folder by default, PostgreSQL when `db` is given. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 })
  const keys = await loadMasterKeys(options)
  const { db, dialect, schema } = options.db
    ? await openPostgres(options.db, options.pgSchema)
    : await openSqlite(join(options.dataDir, 'poisonguard.sqlite'))
  try {
    await migrateToLatest(db as Kysely<unknown>, dialect, schema)
  } catch (error) {
    await db.destroy()
    throw error
  }
  return new Store(db, dialect, keys)
}

async function openSqlite(
  path: string,
): Promise<{ db: Kysely<Database>; dialect: Dialect; schema?: string }> {
  let SQLite: typeof import('better-sqlite3')
  try {
    SQLite = (await import('better-sqlite3')).default
  } catch (error) {
    throw new PoisonguardError(
      'MISSING_DEPENDENCY',
      `the embedded store needs the optional package "better-sqlite3" (version 12), which could not be loaded (${(error as Error).message.split('\n')[0]})`,
      {
        hint: 'install it next to poisonguard (npm install better-sqlite3@12), or keep the store in PostgreSQL with --db',
        cause: error,
      },
    )
  }
  const database = new SQLite(path)
  // WAL keeps readers off the writer's back; FULL sync makes a committed batch survive a power cut.
  database.pragma('journal_mode = WAL')
  database.pragma('synchronous = FULL')
  database.pragma('foreign_keys = ON')
  database.pragma('busy_timeout = 5000')
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database }) }), dialect: 'sqlite' }
}

async function openPostgres(
  url: string,
  schema?: string,
): Promise<{ db: Kysely<Database>; dialect: Dialect; schema: string }> {
  let Pool: typeof import('pg').Pool
  try {
    Pool = (await import('pg')).default.Pool
  } catch (error) {
    throw new PoisonguardError(
      'MISSING_DEPENDENCY',
      `--db ${redactUrl(url)} needs the package "pg", which could not be loaded`,
      {
        hint: 'install it next to poisonguard: npm install pg',
        cause: error,
      },
    )
  }
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `schema name ${JSON.stringify(schema)} is not a plain lowercase identifier`,
    )
  const pool = new Pool({
    connectionString: url,
    max: 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  })
  let current: string
  try {
    const client = await pool.connect()
    try {
      if (schema) await client.query(`create schema if not exists ${schema}`)
      current = (await client.query<{ schema: string }>('select current_schema() as schema')).rows[0].schema
    } finally {
      client.release()
    }
  } catch (error) {
    await pool.end()
    throw new PoisonguardError(
      'UNAVAILABLE',
      `cannot reach PostgreSQL at ${redactUrl(url)}: ${(error as Error).message}`,
      {
        hint: 'check that the server runs and the URL (host, port, database, user) is right',
        cause: error,
      },
    )
  }
  return {
    db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
    dialect: 'postgres',
    schema: current,
  }
}

/** A connection URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(unparsable URL)'
  }
}

/** The master key, then `<file>.new` when a rotation stopped after its commit, so every data key still opens. */
async function loadMasterKeys(options: OpenStoreOptions): Promise<MasterKey[]> {
  const inline = options.masterKey ?? process.env.POISONGUARD_MASTER_KEY
  if (inline) return [decodeKey(inline, 'the master key')]
  const file = options.masterKeyFile ?? defaultMasterKeyFile(options.dataDir)
  const keys = [await readOrCreateKeyFile(file)]
  const next = await readFile(`${file}.new`, 'utf8').catch(() => undefined)
  if (next) keys.push(decodeKey(next, `${file}.new`))
  return keys
}

/** `<dataDir>/master.key`. */
export function defaultMasterKeyFile(dataDir: string): string {
  return join(dataDir, 'master.key')
}

async function readOrCreateKeyFile(file: string): Promise<MasterKey> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw PoisonguardError.at('FILE_NOT_FOUND', { file }, `cannot read the master key: ${error.message}`)
  })
  if (text !== undefined) return decodeKey(text, file)
  const key = generateMasterKey()
  await writeFile(file, `${key.key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
  return key
}

function decodeKey(text: string, where: string): MasterKey {
  const bytes = Buffer.from(text.trim(), 'base64')
  try {
    return masterKeyFrom(bytes)
  } catch (error) {
    throw PoisonguardError.at(
      'INVALID_ARGUMENT',
      { file: where },
      (error as Error).message,
      (error as PoisonguardError).hint,
    )
  }
}
