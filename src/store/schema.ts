import type { ReviewAction } from '../domain/review.js'

/*
 * The tables of the service store, the same in SQLite and PostgreSQL: text ids, ISO-8601 text times and integer
 * flags, so one query layer reads both dialects the same way. Blobs are only ever stored encrypted (`blobs`).
 */

/** A project role, from most to least powerful. */
export type Role = 'owner' | 'admin' | 'reviewer' | 'contributor' | 'viewer'

/** Where a batch stands: waiting for the intake pipeline, or the gate's (or a reviewer's) decision. */
export type BatchStatus = 'pending' | 'accepted' | 'quarantined' | 'needs_review' | 'rejected'

export interface UsersTable {
  id: string
  name: string
  /** 1 for a server administrator (may create users and projects), else 0. */
  is_admin: number
  /** `scrypt$N$r$p$salt$hash` for the web login; null for token-only users. */
  password_hash: string | null
  created_at: string
}

export interface SessionsTable {
  /** SHA-256 of the session id the cookie carries. */
  id_hash: string
  user_id: string
  /** Sent back in `x-csrf-token` with every state change made through the session. */
  csrf_token: string
  expires_at: string
  created_at: string
}

export interface LoginFailuresTable {
  user_name: string
  at: string
}

export interface TokensTable {
  id: string
  user_id: string
  /** SHA-256 of the token; the token itself is shown once and never stored. */
  token_hash: string
  /** JSON array of scopes: `read`, `write`. */
  scopes: string
  /** Limits the token to one project when set. */
  project_id: string | null
  expires_at: string
  revoked_at: string | null
  created_at: string
}

export interface ProjectsTable {
  id: string
  name: string
  /** JSON of the intake policy. */
  policy: string
  created_at: string
}

export interface MembersTable {
  project_id: string
  user_id: string
  role: Role
}

export interface DatasetsTable {
  id: string
  project_id: string
  name: string
  format: string
  current_version_id: string | null
  created_at: string
}

export interface VersionsTable {
  id: string
  dataset_id: string
  number: number
  /** SHA-256 of the version's data file: the content address. */
  sha256: string
  parent_id: string | null
  row_count: number
  data_blob: string
  manifest_blob: string
  sidecar_blob: string
  /** The batch whose acceptance made this version; null for the first. */
  batch_id: string | null
  created_at: string
}

export interface SourcesTable {
  id: string
  project_id: string
  name: string
  /** The contributor who may submit for this source. */
  owner_user_id: string
  public_key_pem: string | null
  key_id: string | null
  status: 'active' | 'quarantined'
  /** Quarantined batches in a row; the gate quarantines the source at the policy's limit. */
  failure_streak: number
  created_at: string
}

export interface BatchesTable {
  id: string
  dataset_id: string
  source_id: string
  submitted_by: string
  status: BatchStatus
  data_blob: string
  manifest_blob: string | null
  sidecar_blob: string | null
  row_count: number
  byte_count: number
  /** JSON of the intake result; null while pending. */
  result: string | null
  reason: string | null
  version_id: string | null
  attempts: number
  created_at: string
  decided_at: string | null
}

/** One submission of crowd answers about a dataset's records; the answers themselves sit in an encrypted blob. */
export interface AnnotationSetsTable {
  id: string
  dataset_id: string
  /** The source the answers come through; its contributor submitted them. */
  source_id: string
  /** The batch the answers are about, when the contributor named one. */
  batch_id: string | null
  submitted_by: string
  /** JSON Lines of `{item, annotator, label, time?}`. */
  answers_blob: string
  answer_count: number
  created_at: string
}

export interface BlobsTable {
  id: string
  /** Id of the master key that wrapped `wrapped_key`. */
  key_id: string
  wrapped_key: Buffer
  nonce: Buffer
  tag: Buffer
  ciphertext: Buffer
  byte_count: number
}

export interface AuditTable {
  /** 0-based position in the log, the leaf index of the audit Merkle tree. */
  seq: number
  /** The canonical JSON of the entry: exactly the bytes its leaf hash covers. */
  entry: string
  leaf_hash: string
}

/** One reviewer decision about one or more records of a batch (a bulk action is one decision over many). */
export interface ReviewDecisionsTable {
  id: string
  batch_id: string
  /** 0-based position among the batch's decisions: a later decision about a record replaces an earlier one. */
  seq: number
  action: ReviewAction
  /** The new label of a `relabel`, else null. */
  label: string | null
  /** JSON array of the record ids the decision covers. */
  record_ids: string
  /** The finding group a bulk decision acted on (e.g. one trigger's carriers), else null. */
  finding: string | null
  /** The user who decided. */
  actor: string
  created_at: string
  /** Set when the decision was undone; an undone decision no longer counts. */
  undone_at: string | null
  undone_by: string | null
}

/** Where an export job stands: waiting for the queue, its snapshot ready, or refused (a tampered blob). */
export type ExportStatus = 'pending' | 'done' | 'failed'

/** A training snapshot asked for; a queued job checks the version's blobs and logs the export. */
export interface ExportsTable {
  id: string
  version_id: string
  /** The user who asked; the audit entry names them. */
  requested_by: string
  status: ExportStatus
  /** Why a failed export failed: the error's code and message as JSON. */
  error: string | null
  created_at: string
  finished_at: string | null
}

export interface SettingsTable {
  name: string
  value: string
}

export interface Database {
  users: UsersTable
  sessions: SessionsTable
  login_failures: LoginFailuresTable
  tokens: TokensTable
  projects: ProjectsTable
  members: MembersTable
  datasets: DatasetsTable
  versions: VersionsTable
  sources: SourcesTable
  batches: BatchesTable
  annotation_sets: AnnotationSetsTable
  blobs: BlobsTable
  audit_log: AuditTable
  review_decisions: ReviewDecisionsTable
  exports: ExportsTable
  settings: SettingsTable
}
