import { z } from 'zod'
import { version } from '../version.js'
import type { RouteSpec } from './route.js'

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>
  return rest
}

/** `/v1/projects/:projectId` → `/v1/projects/{projectId}`. */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z]+)/g, '{$1}')
}

function parameters(spec: RouteSpec<unknown, unknown, unknown>): unknown[] {
  const list: unknown[] = []
  for (const [where, schema] of [
    ['path', spec.params],
    ['query', spec.query],
  ] as const) {
    if (!schema) continue
    const object = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] }
    for (const [name, property] of Object.entries(object.properties ?? {}))
      list.push({
        name,
        in: where,
        required: where === 'path' || (object.required ?? []).includes(name),
        schema: property,
      })
  }
  return list
}

const errorResponse = {
  description: 'an error: a stable code, what was wrong and how to fix it',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: {
          error: {
            type: 'object',
            properties: { code: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' } },
            required: ['code', 'message'],
          },
        },
        required: ['error'],
      },
    },
  },
}

/** The OpenAPI 3.1 document of the service, generated from the same zod schemas that validate each request. */
export function openApiDocument(
  routes: readonly RouteSpec<unknown, unknown, unknown>[],
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const spec of routes) {
    const key = openApiPath(spec.url)
    paths[key] ??= {}
    const path = paths[key]
    path[spec.method.toLowerCase()] = {
      summary: spec.summary,
      tags: [spec.tag],
      operationId: `${spec.method.toLowerCase()}${openApiPath(spec.url).replace(/[^A-Za-z]+(\w)/g, (_, letter: string) => letter.toUpperCase())}`,
      ...(spec.access.kind === 'public' ? { security: [] } : {}),
      ...(spec.access.kind === 'project' ? { 'x-permission': spec.access.permission } : {}),
      ...(spec.access.kind === 'server-admin' ? { 'x-permission': 'server-admin' } : {}),
      parameters: parameters(spec),
      ...(spec.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(spec.body) } },
            },
          }
        : {}),
      responses: {
        [String(spec.status ?? 200)]: {
          description: 'success',
          content: { 'application/json': { schema: {} } },
        },
        default: errorResponse,
      },
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'poisonguard intake service',
      version,
      description: 'Every batch is verified, checked, scanned and gated before it joins a training dataset.',
    },
    components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' } } },
    security: [{ token: [] }],
    paths,
  }
}
