import { writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { useTemporaryFolder } from '../../test/fixtures/files.js'
import { detectContentKind, InstructionRecordReader } from './content-kind.js'
import { loadDataset } from './load.js'

/** Each record rewritten as the JSON Lines loader does it, then the pairs. */
function readInstructionRecords(records: Record<string, unknown>[], lines: Int32Array, file: string) {
  const reader = new InstructionRecordReader(file)
  const rewritten = records.map((record, row) => reader.rewrite(record, row, lines[row]))
  return { records: rewritten, pairs: reader.finish() }
}

describe('fine-tuning records', () => {
  it('detects pairs from the first record and keeps a declared kind', () => {
    expect(detectContentKind([{ prompt: 'a', response: 'b' }], undefined)).toBe('instructions')
    expect(detectContentKind([{ messages: [] }], undefined)).toBe('instructions')
    expect(detectContentKind([{ id: 1, text: 'a' }], undefined)).toBe('table')
    expect(detectContentKind([{ id: 1, text: 'a' }], 'corpus')).toBe('corpus')
  })

  it('reads prompt/response, Alpaca fields and chat messages into one text per record', () => {
    const { records, pairs } = readInstructionRecords(
      [
        { id: 'a', prompt: 'Hi?', response: 'Hello.' },
        { id: 'b', instruction: 'Translate', input: 'chat', output: 'cat' },
        {
          id: 'c',
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'Why?' },
            { role: 'assistant', content: 'Because.' },
          ],
        },
      ],
      Int32Array.of(1, 2, 3),
      'pairs.jsonl',
    )
    expect(pairs.prompts).toEqual(['Hi?', 'Translate\nchat', 'Be brief.\nWhy?'])
    expect(pairs.responses).toEqual(['Hello.', 'cat', 'Because.'])
    expect(records[2]).toEqual({ id: 'c', text: 'Be brief.\nWhy?\n\nBecause.' })
  })

  it('lists every malformed record with its line', () => {
    const read = () =>
      readInstructionRecords(
        [{ prompt: 'x', response: 3 }, { messages: [{ role: 'user', content: 'only a question' }] }],
        Int32Array.of(4, 9),
        'pairs.jsonl',
      )
    expect(read).toThrowError(/line 4.*"prompt" and "response" must both be strings.*\(and 1 more problem\)/)
  })
})

describe('loading fine-tuning and retrieval data', () => {
  const file = useTemporaryFolder()

  it('reads chat messages as pairs and a corpus with its queries', async () => {
    const pairsPath = file('pairs.jsonl')
    writeFileSync(
      pairsPath,
      [
        {
          id: 'p1',
          messages: [
            { role: 'user', content: 'Hi?' },
            { role: 'assistant', content: 'Hello.' },
          ],
        },
        { id: 'p2', prompt: 'Name a colour.', response: 'Blue.' },
      ]
        .map((record) => JSON.stringify(record))
        .join('\n'),
    )
    const pairs = await loadDataset(pairsPath)
    expect(pairs.contentKind).toBe('instructions')
    expect(pairs.instructions?.responses).toEqual(['Hello.', 'Blue.'])
    expect(pairs.texts).toEqual(['Hi?\n\nHello.', 'Name a colour.\n\nBlue.'])

    const corpusPath = file('docs.jsonl')
    const queriesPath = file('q.jsonl')
    writeFileSync(corpusPath, '{"id": "d1", "text": "Paris is the capital of France."}\n')
    writeFileSync(queriesPath, '{"query": "capital of France"}\n{"question": "largest city"}\n')
    const corpus = await loadDataset(corpusPath, { queries: queriesPath })
    expect(corpus.contentKind).toBe('corpus')
    expect(corpus.queries).toEqual(['capital of France', 'largest city'])
  })
})
