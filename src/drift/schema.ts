import { z } from 'zod'
import { PoisonguardError } from '../errors.js'

const rate = z.number().min(0).max(1)

/** What the trusted data looked like; informative only, validation reads the rules beside it. */
const observedNumbers = z
  .object({
    min: z.number(),
    max: z.number(),
    mean: z.number(),
    std: z.number().min(0),
    nullRate: rate,
    /** Quantiles by name: p01, p05, p25, p50, p75, p95, p99. */
    quantiles: z.record(z.string(), z.number()),
  })
  .strict()

const featureRule = z
  .object({
    name: z.string().min(1),
    /** `categorical`: whole numbers from a short list (`values`); `integer`: whole numbers; `number`: anything. */
    type: z.enum(['number', 'integer', 'categorical']),
    /** Allowed range, inclusive; rows outside it are schema findings. */
    min: z.number().optional(),
    max: z.number().optional(),
    /**
     * Bounds read from too few reference values to say how far an honest batch may go (a constant column, one that
     * left its usual value in a handful of rows): values past them are low findings, not medium.
     */
    softBounds: z.array(z.enum(['min', 'max'])).optional(),
    /** Allowed values of a categorical column. */
    values: z.array(z.number()).min(1).optional(),
    /** Largest share of empty cells before the column is a finding. */
    maxNullRate: rate.default(0),
    observed: observedNumbers.optional(),
  })
  .strict()

const schemaFile = z
  .object({
    $comment: z.string().optional(),
    version: z.literal(1),
    inferredFrom: z
      .object({ path: z.string(), rows: z.number().int().min(0), sha256: z.string() })
      .strict()
      .optional(),
    id: z
      .object({
        column: z.string().min(1),
        /** Batch ids that already occur in the reference are findings (a replayed or overwritten record). */
        unique: z.boolean().default(true),
      })
      .strict()
      .optional(),
    label: z
      .object({
        column: z.string().min(1),
        classes: z.array(z.string()).min(1),
        /** Share of each class in the trusted data; informative, drift tests compare with the reference. */
        prior: z.record(z.string(), rate).optional(),
        maxNullRate: rate.default(0),
      })
      .strict()
      .optional(),
    text: z
      .object({
        column: z.string().min(1),
        /** Allowed length in characters, inclusive. */
        minLength: z.number().int().min(0).default(0),
        maxLength: z.number().int().min(0).optional(),
        maxNullRate: rate.default(0),
        observed: z
          .object({ nullRate: rate, lengthQuantiles: z.record(z.string(), z.number()) })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    source: z
      .object({
        column: z.string().min(1),
        /** Known sources; with `allowNew: false`, rows from any other source are findings. */
        values: z.array(z.string()).optional(),
        allowNew: z.boolean().default(true),
      })
      .strict()
      .optional(),
    image: z
      .object({
        width: z.number().int().positive(),
        height: z.number().int().positive(),
        /** 3 for colour images (pixels interleaved r, g, b); absent for grey. */
        channels: z.union([z.literal(1), z.literal(3)]).optional(),
      })
      .strict()
      .optional(),
    features: z.array(featureRule),
    /** Whether batch feature columns the schema does not list are allowed. */
    allowExtraFeatures: z.boolean().default(false),
  })
  .strict()

/** A validated schema file: the rules a batch must follow, plus what the trusted data looked like. */
export type DatasetSchema = z.infer<typeof schemaFile>
export type FeatureRule = z.infer<typeof featureRule>

/** `features[2].min` from a zod path. */
function formatPath(path: readonly PropertyKey[]): string {
  let text = ''
  for (const part of path)
    text += typeof part === 'number' ? `[${part}]` : `${text ? '.' : ''}${String(part)}`
  return text || '(top level)'
}

/** Checks that need the whole schema: ranges in order, unique feature names, categories with values. */
function semanticIssues(schema: DatasetSchema): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = []
  const seen = new Set<string>()
  schema.features.forEach((feature, index) => {
    const at = `features[${index}]`
    if (seen.has(feature.name))
      issues.push({ path: `${at}.name`, message: `feature "${feature.name}" is listed twice` })
    seen.add(feature.name)
    if (feature.min !== undefined && feature.max !== undefined && feature.min > feature.max)
      issues.push({ path: at, message: `min ${feature.min} is above max ${feature.max}` })
    if (feature.type === 'categorical' && !feature.values)
      issues.push({ path: `${at}.values`, message: 'a categorical feature needs its list of allowed values' })
  })
  const text = schema.text
  if (text?.maxLength !== undefined && text.minLength > text.maxLength)
    issues.push({ path: 'text', message: `minLength ${text.minLength} is above maxLength ${text.maxLength}` })
  return issues
}

/**
 * Parses and validates a schema file's text; every problem is reported at once with its JSON path, e.g.
 * `schema.json, features[3].max: expected number, received string`.
 */
export function parseSchema(text: string, file: string): DatasetSchema {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw PoisonguardError.at(
      'PARSE_ERROR',
      { file },
      `the schema is not valid JSON: ${(error as Error).message}`,
      'write the schema with `poisonguard schema infer` and edit it; JSON allows no comments (use "$comment")',
    )
  }
  const parsed = schemaFile.safeParse(json)
  const issues = parsed.success
    ? semanticIssues(parsed.data)
    : parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }))
  if (issues.length === 0 && parsed.success) return parsed.data
  const located = issues.map((issue) => ({ file, path: issue.path, message: issue.message }))
  const first = located[0]
  const more =
    located.length > 1 ? ` (and ${located.length - 1} more problem${located.length > 2 ? 's' : ''})` : ''
  throw new PoisonguardError('INVALID_VALUE', `${file}, ${first.path}: ${first.message}${more}`, {
    issues: located,
    hint: 'see docs/drift.md for the schema format, or regenerate it with `poisonguard schema infer`',
  })
}

/** Validates a schema built in code (defaults filled in), with the same errors as a file. */
export function validateSchemaObject(value: unknown, name = 'schema'): DatasetSchema {
  return parseSchema(JSON.stringify(value), name)
}
