import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const loader = fileURLToPath(new URL('../../test/fixtures/register-typescript.mjs', import.meta.url))
const progressModule = new URL('./progress.ts', import.meta.url).href

// A fresh process, so the modules already loaded are this module's and not those of other tests in the worker.
const probe = `
import { createRequire } from 'node:module'
const { createProgressReporter } = await import(${JSON.stringify(progressModule)})
const barLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes('cli-progress'))
const io = { stdout() {}, stderr() {}, interactive: true }
const quiet = createProgressReporter(io, true)
quiet.update('model', 0.5)
quiet.stop()
const afterQuiet = barLoaded()
const shown = createProgressReporter(io, false)
shown.update('model', 0.5)
shown.stop()
process.stdout.write(JSON.stringify({ afterQuiet, afterShown: barLoaded() }))
`

describe('createProgressReporter', () => {
  it('loads the progress bar package only for a bar it will draw', () => {
    const output = execFileSync(process.execPath, ['--import', loader, '--input-type=module', '-e', probe], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    expect(JSON.parse(output)).toEqual({ afterQuiet: false, afterShown: true })
  })
})
