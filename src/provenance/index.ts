export {
  canonicalJson,
  canonicalText,
  digestBody,
  RECORD_ENCODING,
  RECORD_ENCODING_V1,
  recordLeaf,
} from './canonical.js'
export {
  type DiffOptions,
  type DiffSide,
  diffProvenance,
  isManifestPath,
  type ProvenanceDiff,
} from './compare.js'
export {
  type DatasetDigest,
  type DatasetRoles,
  type DigestOptions,
  digestDataset,
  type RoleOptions,
} from './dataset-digest.js'
export {
  describeDiff,
  describeLineage,
  describeVerification,
  summarizeDiff,
  verificationJson,
} from './describe.js'
export {
  type ChangedRecord,
  countMoved,
  diffRecordTables,
  type RecordDiff,
  RecordMatcher,
  type RecordRef,
  type SourceChanges,
} from './diff.js'
export {
  createEnvelope,
  type DsseEnvelope,
  type DsseSignature,
  IN_TOTO_PAYLOAD_TYPE,
  preAuthEncoding,
  type SignatureStatus,
  verifyEnvelope,
} from './dsse.js'
export {
  generateKeyFiles,
  type KeyFiles,
  keyFilePaths,
  keyIdOf,
  readPrivateKey,
  readPublicKey,
} from './keys.js'
export {
  type Lineage,
  type LineageLink,
  type LineageNode,
  type LineageOptions,
  traceLineage,
} from './lineage.js'
export { type CreatedManifest, type CreateManifestOptions, createManifest } from './manifest.js'
export { type ManifestFile, readManifestFile, sidecarPathOf } from './manifest-file.js'
export { leafHash, MerkleBuilder, merkleRoot } from './merkle.js'
export { RecordTable } from './record-table.js'
export { readSidecar, sidecarPathFor } from './sidecar.js'
export { SIGSTORE_BUNDLE_V03, type SigstoreDsseBundle, toSigstoreBundle } from './sigstore.js'
export {
  MANIFEST_PREDICATE_TYPE,
  type ManifestPredicate,
  type ManifestStatement,
  STATEMENT_TYPE,
} from './statement.js'
export { parseStatement } from './statement-schema.js'
export {
  type DatasetVerification,
  type VerificationFailure,
  type VerifyOptions,
  verifyDatasetAgainstManifest,
} from './verify.js'
