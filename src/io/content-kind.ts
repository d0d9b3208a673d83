import {
  type ContentKind,
  type Dataset,
  type InstructionLayout,
  type InstructionPairs,
  pairText,
} from '../data/dataset.js'
import { PoisonguardError } from '../errors.js'
import { IssueList } from './issues.js'

/** What a user may declare the records to be; `table` is the default and needs no flag. */
export const declaredKinds = ['instructions', 'corpus'] as const

export type DeclaredKind = (typeof declaredKinds)[number]

/** Field pairs that name a prompt and its response, most common first (Alpaca-style sets call them so). */
const pairFields = [
  ['prompt', 'response'],
  ['instruction', 'output'],
] as const

const messagesHint =
  'each record needs "prompt" and "response" strings, or "messages": [{"role": "user", "content": "…"}, {"role": "assistant", "content": "…"}]'

/** How a record spells its pair, `messages` first as `pairOf` reads it. */
function layoutOf(record: Record<string, unknown>): InstructionLayout {
  if (Array.isArray(record.messages)) return 'messages'
  return Object.hasOwn(record, 'prompt') ? 'prompt-response' : 'instruction-output'
}

/** Whether a parsed record looks like a fine-tuning pair. */
function looksLikePair(record: Record<string, unknown>): boolean {
  if (Array.isArray(record.messages)) return true
  return pairFields.some(
    ([prompt, response]) => Object.hasOwn(record, prompt) && Object.hasOwn(record, response),
  )
}

/** The kind of parsed JSON records: declared, else fine-tuning pairs when the first record is one, else a table. */
export function detectContentKind(
  records: readonly Record<string, unknown>[],
  declared: DeclaredKind | undefined,
): ContentKind {
  if (declared) return declared
  return records.length > 0 && looksLikePair(records[0]) ? 'instructions' : 'table'
}

/** Prompt and response of a `messages` array: the assistant's turns answer everything said before them. */
function fromMessages(messages: unknown[]): { prompt: string; response: string } | string {
  const asked: string[] = []
  const answered: string[] = []
  for (const [index, message] of messages.entries()) {
    if (message === null || typeof message !== 'object') return `messages[${index}] is not an object`
    const { role, content } = message as Record<string, unknown>
    if (typeof role !== 'string' || typeof content !== 'string')
      return `messages[${index}] needs a string "role" and a string "content"`
    ;(role === 'assistant' ? answered : asked).push(content)
  }
  if (answered.length === 0) return 'messages hold no turn with role "assistant"'
  return { prompt: asked.join('\n'), response: answered.join('\n') }
}

function pairOf(record: Record<string, unknown>): { prompt: string; response: string } | string {
  if (Array.isArray(record.messages)) return fromMessages(record.messages)
  for (const [promptField, responseField] of pairFields) {
    if (!Object.hasOwn(record, promptField)) continue
    const prompt = record[promptField]
    const response = record[responseField]
    if (typeof prompt !== 'string' || typeof response !== 'string')
      return `"${promptField}" and "${responseField}" must both be strings`
    // Alpaca-style sets keep the task's context apart from the instruction.
    const context = typeof record.input === 'string' && record.input !== '' ? `\n${record.input}` : ''
    return { prompt: prompt + context, response }
  }
  return 'the record has neither a prompt and a response nor messages'
}

/**
 * Rewrites fine-tuning records one at a time so the table reader sees scalar fields: the prompt and response (or
 * the `messages` array) become one `text`; every problem is collected, with its line, and thrown by `finish`.
 */
export class InstructionRecordReader {
  private readonly issues = new IssueList('INVALID_VALUE', messagesHint)
  private readonly prompts: string[] = []
  private readonly responses: string[] = []
  private layout?: InstructionLayout

  constructor(private readonly file: string) {}

  /** The record with its pair replaced by `text`; the `row` is 0-based. */
  rewrite(record: Record<string, unknown>, row: number, line: number): Record<string, unknown> {
    this.layout ??= layoutOf(record)
    const pair = pairOf(record)
    const rest: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(record))
      if (!['prompt', 'response', 'instruction', 'input', 'output', 'messages', 'text'].includes(key))
        rest[key] = value
    if (typeof pair === 'string') {
      this.issues.add({ file: this.file, line, row: row + 1 }, pair)
      return rest
    }
    this.prompts.push(pair.prompt)
    this.responses.push(pair.response)
    return { ...rest, text: pairText(pair.prompt, pair.response) }
  }

  finish(): InstructionPairs {
    this.issues.throwIfAny()
    const { prompts, responses } = this
    return { prompts, responses, layout: this.layout ?? 'prompt-response' }
  }
}

/** Questions of a `--queries` file: the `query`, `question` or `text` field of each record, in file order. */
export function queryTexts(
  records: readonly { columns: readonly string[]; values: readonly unknown[]; line?: number }[],
  file: string,
): string[] {
  const issues = new IssueList('MISSING_COLUMN', 'each line of a queries file holds {"query": "…"}')
  const queries: string[] = []
  for (const record of records) {
    const index = ['query', 'question', 'text']
      .map((name) => record.columns.indexOf(name))
      .find((at) => at >= 0)
    const value = index === undefined ? undefined : record.values[index]
    if (typeof value === 'string' && value.trim() !== '') queries.push(value)
    else issues.add({ file, line: record.line }, 'expected a non-empty string field "query"')
  }
  issues.throwIfAny()
  if (queries.length === 0)
    throw PoisonguardError.at(
      'EMPTY_FILE',
      { file },
      'the queries file holds no query',
      'add one JSON object per line',
    )
  return queries
}

/** The dataset marked as the declared kind; a corpus keeps its queries, fine-tuning data must hold pairs. */
export function withContentKind(dataset: Dataset, kind: ContentKind, queries?: readonly string[]): Dataset {
  if (kind === 'instructions' && !dataset.instructions) {
    throw PoisonguardError.at(
      'INVALID_ARGUMENT',
      { file: dataset.origin.path },
      'fine-tuning pairs are read from JSON Lines only',
      'write the pairs as JSON Lines with prompt and response (or messages), or leave --kind out',
    )
  }
  if (kind !== 'table' && !dataset.texts) {
    throw PoisonguardError.at(
      'MISSING_COLUMN',
      { file: dataset.origin.path },
      `a ${kind === 'corpus' ? 'retrieval corpus' : 'fine-tuning set'} needs a text column`,
      'name it with --text',
    )
  }
  return { ...dataset, contentKind: kind, ...(queries ? { queries } : {}) }
}
