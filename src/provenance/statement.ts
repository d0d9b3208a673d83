import { SIDECAR_FORMAT } from './sidecar-writer.js'
import type { ManifestStatement } from './statement-schema.js'

export type {
  ColumnType,
  ManifestPredicate,
  ManifestStatement,
  ResourceDescriptor,
} from './statement-schema.js'
export { SIDECAR_FORMAT }

/** in-toto Statement v1 `_type`. */
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1'
/** The predicate type of a poisonguard dataset manifest. */
export const MANIFEST_PREDICATE_TYPE = 'https://poisonguard.dev/manifest/v1'

/** Serialises a statement with a fixed key order, so identical content gives identical bytes. */
export function serializeStatement(statement: ManifestStatement): Buffer {
  return Buffer.from(JSON.stringify(statement), 'utf8')
}
