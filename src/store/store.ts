import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  sign,
} from 'node:crypto'
import { type Kysely, sql, type Transaction } from 'kysely'
import { PoisonguardError } from '../errors.js'
import { canonicalJson } from '../provenance/canonical.js'
import { keyIdOf } from '../provenance/keys.js'
import { leafHash } from '../provenance/merkle.js'
import { consistencyProof, inclusionProof, treeHash } from './audit-tree.js'
import { type MasterKey, openBlob, rewrapBlobKey, sealBlob } from './encryption.js'
import type { Dialect } from './migrations.js'
import type { Database } from './schema.js'

/** A query runner: the store itself or one of its transactions. */
export type Db = Kysely<Database> | Transaction<Database>

/** One state change as the audit log records it. */
export interface AuditEvent {
  /** User id, or `system` for the server's own decisions. */
  actor: string
  /** e.g. `batch.submit`, `batch.gate`, `batch.review`, `member.role`, `version.export`, `keys.rotate`. */
  action: string
  /** What changed, e.g. `batch:<id>`. */
  subject: string
  details?: Record<string, unknown>
}

/** A logged entry: the event with its position and time. */
export interface AuditEntry extends AuditEvent {
  seq: number
  time: string
}

/** A tree head of the audit log signed by the server's Ed25519 key. */
export interface SignedTreeHead {
  treeSize: number
  /** Hex RFC 6962 tree hash of the first `treeSize` entries. */
  rootHash: string
  timestamp: string
  keyId: string
  /** Base64 Ed25519 signature over the canonical JSON of `{treeSize, rootHash, timestamp}`. */
  signature: string
}

const SIGNING_KEY_SETTING = 'audit-signing-key'

/**
 * The service store over one Kysely database (SQLite or PostgreSQL): encrypted blobs, the audit log, settings and
 * transactions. Every state change runs in `transaction`, which also serialises audit appends so the log and the
 * data it describes can never disagree.
 */
export class Store {
  private cachedSigningKey: KeyObject | undefined

  constructor(
    readonly db: Kysely<Database>,
    readonly dialect: Dialect,
    private keys: MasterKey[],
  ) {}

  /** The master key new blobs are wrapped with. */
  get masterKey(): MasterKey {
    return this.keys[0]
  }

  /** Runs `work` in one transaction: all of its writes land, or none. */
  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      // PostgreSQL runs transactions concurrently; one lock keeps audit sequence numbers gapless and ordered.
      if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(6962)`.execute(trx)
      return work(trx)
    })
  }

  /** Encrypts and stores bytes; returns the blob id. */
  async putBlob(trx: Db, bytes: Buffer): Promise<string> {
    const id = randomUUID()
    const sealed = sealBlob(this.masterKey, id, bytes)
    await trx
      .insertInto('blobs')
      .values({
        id,
        key_id: sealed.keyId,
        wrapped_key: sealed.wrappedKey,
        nonce: sealed.nonce,
        tag: sealed.tag,
        ciphertext: sealed.ciphertext,
        byte_count: bytes.length,
      })
      .execute()
    return id
  }

  /** Reads and decrypts a blob; a tampered blob is a TAMPERED error. */
  async getBlob(id: string, db: Db = this.db): Promise<Buffer> {
    const row = await db.selectFrom('blobs').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) throw new PoisonguardError('NOT_FOUND', `blob ${id} is missing from the store`)
    return openBlob(this.keys, id, {
      keyId: row.key_id,
      wrappedKey: Buffer.from(row.wrapped_key),
      nonce: Buffer.from(row.nonce),
      tag: Buffer.from(row.tag),
      ciphertext: Buffer.from(row.ciphertext),
    })
  }

  /** Rewraps every data key with `next` in one transaction and makes it the key for new blobs; returns the count. */
  async rotateMasterKey(next: MasterKey, actor: string): Promise<number> {
    const count = await this.transaction(async (trx) => {
      const rows = await trx.selectFrom('blobs').select(['id', 'key_id', 'wrapped_key']).execute()
      for (const row of rows) {
        const rewrapped = rewrapBlobKey([...this.keys, next], next, row.id, {
          keyId: row.key_id,
          wrappedKey: Buffer.from(row.wrapped_key),
        })
        await trx
          .updateTable('blobs')
          .set({ key_id: rewrapped.keyId, wrapped_key: rewrapped.wrappedKey })
          .where('id', '=', row.id)
          .execute()
      }
      await this.appendAudit(trx, {
        actor,
        action: 'keys.rotate',
        subject: `master-key:${next.id}`,
        details: { blobs: rows.length, previousKeys: this.keys.map((key) => key.id) },
      })
      return rows.length
    })
    this.keys = [next, ...this.keys]
    return count
  }

  /** Appends one entry to the audit log inside the caller's transaction. */
  async appendAudit(trx: Db, event: AuditEvent): Promise<AuditEntry> {
    const last = await trx
      .selectFrom('audit_log')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst()
    const seq = last?.seq === null || last?.seq === undefined ? 0 : Number(last.seq) + 1
    const entry: AuditEntry = { seq, time: new Date().toISOString(), details: {}, ...event }
    const text = canonicalJson(entry)
    await trx
      .insertInto('audit_log')
      .values({ seq, entry: text, leaf_hash: leafHash(Buffer.from(text)).toString('hex') })
      .execute()
    return entry
  }

  /** Entries `from` (inclusive) to `to` (exclusive), oldest first, with the exact text each leaf covers. */
  async auditEntries(from = 0, to?: number): Promise<{ seq: number; entry: string }[]> {
    let query = this.db.selectFrom('audit_log').select(['seq', 'entry']).where('seq', '>=', from)
    if (to !== undefined) query = query.where('seq', '<', to)
    const rows = await query.orderBy('seq').execute()
    return rows.map((row) => ({ seq: Number(row.seq), entry: row.entry }))
  }

  /** The number of audit entries. */
  async auditSize(): Promise<number> {
    const row = await this.db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<string | number>().as('count'))
      .executeTakeFirstOrThrow()
    return Number(row.count)
  }

  private async leafHashes(treeSize: number): Promise<Buffer[]> {
    const rows = await this.db
      .selectFrom('audit_log')
      .select('leaf_hash')
      .where('seq', '<', treeSize)
      .orderBy('seq')
      .execute()
    return rows.map((row) => Buffer.from(row.leaf_hash, 'hex'))
  }

  private async checkedSize(treeSize: number | undefined): Promise<number> {
    const size = await this.auditSize()
    if (treeSize === undefined) return size
    if (!Number.isInteger(treeSize) || treeSize < 0 || treeSize > size)
      throw new PoisonguardError(
        'INVALID_ARGUMENT',
        `tree size ${treeSize} is outside 0..${size}, the log's size`,
      )
    return treeSize
  }

  /** The current (or an earlier) tree head of the audit log, signed now. */
  async signedTreeHead(treeSize?: number): Promise<SignedTreeHead> {
    const size = await this.checkedSize(treeSize)
    const rootHash = treeHash(await this.leafHashes(size)).toString('hex')
    const head = { treeSize: size, rootHash, timestamp: new Date().toISOString() }
    const key = await this.signingKey()
    const signature = sign(null, Buffer.from(canonicalJson(head)), key).toString('base64')
    return { ...head, keyId: keyIdOf(key), signature }
  }

  /** The audit path of entry `index` in the tree of the first `treeSize` entries. */
  async auditInclusionProof(
    index: number,
    treeSize?: number,
  ): Promise<{ leafHash: string; proof: string[] }> {
    const size = await this.checkedSize(treeSize)
    if (!Number.isInteger(index) || index < 0 || index >= size)
      throw new PoisonguardError('INVALID_ARGUMENT', `entry ${index} is outside the tree of ${size} entries`)
    const leaves = await this.leafHashes(size)
    return { leafHash: leaves[index].toString('hex'), proof: inclusionProof(leaves, index).map(hex) }
  }

  /** The proof that the tree of `firstSize` entries is a prefix of the tree of `secondSize`. */
  async auditConsistencyProof(firstSize: number, secondSize?: number): Promise<string[]> {
    const size = await this.checkedSize(secondSize)
    if (!Number.isInteger(firstSize) || firstSize < 1 || firstSize > size)
      throw new PoisonguardError('INVALID_ARGUMENT', `first size ${firstSize} is outside 1..${size}`)
    return consistencyProof(await this.leafHashes(size), firstSize).map(hex)
  }

  /** The public half of the key that signs tree heads, as SPKI PEM. */
  async auditPublicKeyPem(): Promise<string> {
    return createPublicKey(await this.signingKey()).export({ type: 'spki', format: 'pem' }) as string
  }

  /** The server's Ed25519 key, which signs audit tree heads and version manifests: created once, kept as an encrypted blob. */
  async signingKey(): Promise<KeyObject> {
    if (this.cachedSigningKey) return this.cachedSigningKey
    const blobId = await this.transaction(async (trx) => {
      const existing = await getSetting(trx, SIGNING_KEY_SETTING)
      if (existing) return existing
      const { privateKey } = generateKeyPairSync('ed25519')
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
      const id = await this.putBlob(trx, Buffer.from(pem))
      await trx.insertInto('settings').values({ name: SIGNING_KEY_SETTING, value: id }).execute()
      return id
    })
    this.cachedSigningKey = createPrivateKey(await this.getBlob(blobId))
    return this.cachedSigningKey
  }

  async close(): Promise<void> {
    await this.db.destroy()
  }
}

function hex(buffer: Buffer): string {
  return buffer.toString('hex')
}

async function getSetting(db: Db, name: string): Promise<string | undefined> {
  const row = await db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst()
  return row?.value
}
