import { z } from 'zod'
import { PoisonguardError } from '../errors.js'
import { RECORD_ENCODING, RECORD_ENCODING_V1 } from './canonical.js'
import { MANIFEST_PREDICATE_TYPE, STATEMENT_TYPE } from './statement.js'

/*
 * The statement's schema, apart from the rest of `statement.ts`: Zod is 95 modules, about a tenth of a second of CPU
 * to load, and only reading a manifest needs it — creating one without parents does not.
 */

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits')
const resource = z.object({ name: z.string(), digest: z.object({ sha256: sha256Hex }) })

const columnType = z.enum(['integer', 'number', 'boolean', 'string', 'empty'])

const predicateSchema = z.object({
  dataset: z.object({
    format: z.enum(['csv', 'jsonl', 'parquet']),
    byteCount: z.number().int().nonnegative(),
    idColumn: z.string().nullable(),
    labelColumn: z.string().nullable(),
    sourceColumn: z.string().nullable(),
    source: z.string().nullable(),
  }),
  records: z.object({
    count: z.number().int().nonnegative(),
    merkleRoot: sha256Hex,
    order: z.literal('input'),
    encoding: z.enum([RECORD_ENCODING, RECORD_ENCODING_V1]),
    digests: resource.extend({ byteCount: z.number().int().nonnegative() }),
  }),
  schema: z.array(z.object({ name: z.string(), type: columnType, nullable: z.boolean() })),
  labels: z.object({ counts: z.record(z.string(), z.number().int()), unlabelled: z.number().int() }),
  sources: z.array(z.object({ name: z.string().nullable(), count: z.number().int(), merkleRoot: sha256Hex })),
  parents: z.array(resource.extend({ subject: z.array(resource) })),
  transform: z.object({
    tool: z.string(),
    version: z.string(),
    command: z.string().nullable(),
    parameters: z.record(z.string(), z.string()),
  }),
  createdAt: z.string(),
})

const statementSchema = z.object({
  _type: z.literal(STATEMENT_TYPE),
  subject: z.array(resource).min(1),
  predicateType: z.literal(MANIFEST_PREDICATE_TYPE),
  predicate: predicateSchema,
})

/** An in-toto resource descriptor with a SHA-256 digest. */
export type ResourceDescriptor = z.infer<typeof resource>
/** The type of one column in a manifest's schema. */
export type ColumnType = z.infer<typeof columnType>
/** What a manifest attests about a dataset. */
export type ManifestPredicate = z.infer<typeof predicateSchema>
/** An in-toto Statement v1 carrying a poisonguard manifest predicate. */
export type ManifestStatement = z.infer<typeof statementSchema>

/** Parses and validates a Statement from the envelope payload; the error names the first field that is wrong. */
export function parseStatement(payload: Uint8Array, file: string): ManifestStatement {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(payload).toString('utf8'))
  } catch (error) {
    throw PoisonguardError.at(
      'PARSE_ERROR',
      { file },
      `the manifest payload is not JSON (${(error as Error).message})`,
    )
  }
  const result = statementSchema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const path = issue.path.join('.') || '(top level)'
  throw PoisonguardError.at(
    'PARSE_ERROR',
    { file, path },
    `the manifest statement is not a ${MANIFEST_PREDICATE_TYPE} statement: ${issue.message}`,
  )
}
