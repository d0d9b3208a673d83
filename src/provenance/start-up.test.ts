import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

/** Modules and packages loaded as soon as `entry` is, following static imports that are not erased types. */
function staticImports(entry: string): { modules: Set<string>; packages: Set<string> } {
  const modules = new Set<string>()
  const packages = new Set<string>()
  const pending = [resolve(entry)]
  // `import type` and `export type` vanish in JavaScript; `import(...)` loads only when it runs.
  const pattern = /^\s*(?:import|export)\s(?!type\b)[\w$*\s{},]*?\bfrom\s*['"]([^'"]+)['"]/gm
  while (pending.length > 0) {
    const file = pending.pop()!
    if (modules.has(file)) continue
    modules.add(file)
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(pattern)) {
      if (specifier.startsWith('.')) pending.push(join(dirname(file), specifier.replace(/\.js$/, '.ts')))
      else if (!specifier.startsWith('node:')) packages.add(specifier)
    }
  }
  return { modules, packages }
}

describe('what creating a manifest loads before it reads the first byte', () => {
  it('leaves out the statement schema and Zod, which only reading a manifest needs', () => {
    const created = staticImports('src/provenance/manifest.ts')
    expect(created.modules.has(resolve('src/provenance/statement.ts'))).toBe(true)
    expect(created.modules.has(resolve('src/provenance/statement-schema.ts'))).toBe(false)
    expect([...created.packages]).not.toContain('zod')
    // The walk does find Zod where it is loaded.
    expect([...staticImports('src/provenance/statement-schema.ts').packages]).toContain('zod')
  })
})

describe('what the worker digesting part of a CSV loads before it starts', () => {
  it('leaves out the CSV dataset reader and format adapter, which only loading a dataset needs', () => {
    const { modules } = staticImports('src/provenance/digest-worker.ts')
    expect(modules.has(resolve('src/io/csv-record-rows.ts'))).toBe(true)
    expect(modules.has(resolve('src/io/csv-table.ts'))).toBe(false)
    expect(modules.has(resolve('src/io/formats/csv.ts'))).toBe(false)
    // The walk does find them where they are loaded.
    expect(
      staticImports('src/provenance/dataset-digest.ts').modules.has(resolve('src/io/formats/csv.ts')),
    ).toBe(true)
  })
})
