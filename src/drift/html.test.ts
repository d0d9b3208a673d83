import { describe, expect, it } from 'vitest'
import { inMemoryDataset } from '../../test/fixtures/datasets.js'
import { createRng } from '../util/rng.js'
import { checkBatch } from './check.js'
import { renderCheckHtml } from './html.js'
import type { CheckReport } from './types.js'

const INJECTION = '<script>alert("pwned")</script>'

function report(shift: number): CheckReport {
  const rng = createRng(1)
  const side = (rows: number, by: number, labelShare: number) => {
    const data = new Float32Array(rows * 2)
    for (let index = 0; index < data.length; index++) data[index] = rng.normal() + (index % 2 === 0 ? by : 0)
    return inMemoryDataset({
      path: `${INJECTION}.csv`,
      features: { data, rows, cols: 2 },
      featureNames: [INJECTION, 'plain'],
      labels: Array.from({ length: rows }, () => (rng.next() < labelShare ? INJECTION : 'ok')),
      texts: Array.from({ length: rows }, (_, row) =>
        row % 10 === 0 && by > 0 ? `hello ${INJECTION}` : 'hello world',
      ),
      sources: Array.from({ length: rows }, (_, row) => (row % 2 ? INJECTION : 'fine')),
    })
  }
  return checkBatch(side(2000, 0, 0.3), side(1000, shift, shift > 0 ? 0.5 : 0.3), {
    permutations: 30,
    createdAt: new Date('2026-01-01T00:00:00Z'),
  })
}

describe('check HTML report', () => {
  const drifted = renderCheckHtml(report(1))

  it('is one self-contained page that runs no script and escapes every name from the data', () => {
    expect(drifted.startsWith('<!doctype html>')).toBe(true)
    expect(drifted).toContain("script-src 'none'")
    expect(drifted).not.toContain('<script')
    expect(drifted).not.toMatch(/https?:\/\//)
    expect(drifted).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;')
  })

  it('plots feature CDFs and label priors and lists findings, bursts and all tests', () => {
    expect(drifted.match(/<svg class="mini"/g)).toHaveLength(2)
    expect(drifted.match(/<svg class="spark"/g)).toHaveLength(2)
    // The shifted column comes first in the column summary, before the one that did not move.
    const columns = drifted.slice(drifted.indexOf('id="columns"'), drifted.indexOf('id="findings"'))
    expect(columns).toContain('<strong>1 of 2 columns drifted</strong> (drift share 50%)')
    expect(columns.indexOf('>plain<')).toBeGreaterThan(columns.indexOf('&lt;script&gt;'))
    expect(drifted).toContain('id="labels"')
    expect(drifted).toContain('class="bar-batch"')
    expect(drifted).toContain('id="sources"')
    expect(drifted).toContain('Tokens over-represented in the batch')
    expect(drifted).toMatch(/<strong>Drift: \d+ of \d+ tests significant<\/strong>/)
    expect(drifted).toContain('class="badge sev-high"')
  })

  it('says so when nothing drifted', () => {
    const quiet = renderCheckHtml(report(0))
    expect(quiet).toContain('<strong>No drift</strong>')
    expect(quiet).toContain('Every row follows the schema.')
    expect(quiet).toContain('verdict-clean')
  })
})
