import { z } from 'zod'
import { type ErrorIssue, PoisonguardError } from '../errors.js'

/** What owns a parameter schema; named in error messages. */
export type ParamOwner = 'detector' | 'attack'

/** A detector or an attack: an id and a schema that fills in defaults. */
export interface Parameterised<Params> {
  readonly id: string
  readonly params: z.ZodType<Params>
}

/** The parameter names a schema accepts, in schema order. */
export function paramNames(schema: z.ZodType): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : []
}

/** One parameter as shown in help texts, listings and UIs. */
export interface ParamDescription {
  readonly name: string
  /** The default as JSON text, or undefined when the parameter has none (it is optional or derived). */
  readonly defaultValue?: string
  readonly description: string
}

/** Every parameter of a schema with its default and description, in schema order. */
export function describeParams(schema: z.ZodType): ParamDescription[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, { default?: unknown; description?: string }>
  }
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    defaultValue: property.default === undefined ? undefined : JSON.stringify(property.default),
    description: property.description ?? '',
  }))
}

/** One INVALID_ARGUMENT error whose message names the first problem and whose issues list every one. */
export function invalidParams(
  owner: ParamOwner,
  id: string,
  issues: ErrorIssue[],
  hint?: string,
): PoisonguardError {
  const first = `${issues[0].path}: ${issues[0].message}`
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''
  return new PoisonguardError('INVALID_ARGUMENT', `invalid parameters for ${owner} ${id}: ${first}${more}`, {
    issues,
    hint,
  })
}

/**
 * Parses the parameters of a detector or an attack (absent means every default), turning every schema problem into
 * one typed error that lists all of them, each at `id.parameter`.
 */
export function parseParams<Params>(owner: ParamOwner, subject: Parameterised<Params>, raw: unknown): Params {
  const parsed = subject.params.safeParse(raw ?? {})
  if (parsed.success) return parsed.data
  const issues = parsed.error.issues.map((issue) => ({
    path: issue.path.length > 0 ? `${subject.id}.${issue.path.join('.')}` : subject.id,
    message: issue.message,
  }))
  const hint = `parameters of ${subject.id}: ${paramNames(subject.params).join(', ') || 'none'}`
  throw invalidParams(owner, subject.id, issues, hint)
}
