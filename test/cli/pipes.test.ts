import { mkdirSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { builtinDatasets } from '../../src/io/builtin/index.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { spawnCli } from './spawn-cli.js'

const temporary = useTemporaryFolder()

/** Everything a stream of the child writes, as text. */
function collect(stream: NodeJS.ReadableStream | null): () => string {
  const chunks: Buffer[] = []
  stream?.on('data', (chunk: Buffer) => chunks.push(chunk))
  return () => Buffer.concat(chunks).toString('utf8')
}

describe('the CLI in a pipeline', () => {
  it('ends quietly with exit 0 when the reader of its output goes away, as `| head` does', async () => {
    const { child, exited } = spawnCli(['detectors'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const stderr = collect(child.stderr)
    // Closed before the process has even loaded its sources: every write to stdout meets EPIPE.
    child.stdout!.destroy()
    expect(await exited).toEqual({ code: 0, signal: null })
    expect(stderr()).toBe('')
  })

  it('bench writes no file unless asked: without --out it only prints its tables', async () => {
    const folder = temporary('bench-cwd')
    const data = temporary('digits.csv')
    await builtinDatasets.mnist.write(data, { limit: 200 })
    const args = ['bench', '--builtin', 'none', '--dataset', data, '--label', 'label']
    mkdirSync(folder)
    const { child, exited } = spawnCli([...args, '--attacks', 'label-flip', '--rates', '0.1', '-q'], {
      cwd: folder,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const [stdout, stderr] = [collect(child.stdout), collect(child.stderr)]
    expect(await exited).toEqual({ code: 0, signal: null })
    expect(stderr()).toBe('')
    expect(stdout()).toContain('fused scan')
    expect(stdout()).not.toContain('Wrote')
    expect(readdirSync(folder)).toEqual([])
  })
})
