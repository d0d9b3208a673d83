import { writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { expect } from 'vitest'
import { isPoisonguardError } from '../../src/errors.js'
import { loadDataset } from '../../src/io/index.js'
import { createRng, type Rng } from '../../src/util/rng.js'

/** Longest a single load of a tiny file may take before the case counts as a hang. */
export const CASE_DEADLINE_MS = 5_000

/** One random edit of a valid file: flip, insert, delete or truncate bytes, the ways files get damaged. */
function mutateOnce(bytes: Buffer, rng: Rng): Buffer {
  const at = rng.int(bytes.length + 1)
  switch (rng.int(5)) {
    case 0: {
      const copy = Buffer.from(bytes)
      if (at < copy.length) copy[at] ^= 1 << rng.int(8)
      return copy
    }
    case 1:
      return Buffer.concat([bytes.subarray(0, at), Buffer.of(rng.int(256)), bytes.subarray(at)])
    case 2:
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + rng.int(8))])
    case 3:
      return bytes.subarray(0, at)
    default: {
      // Bytes that parsers treat specially: quotes, separators, line ends, NUL, 0xff, the start of a varint.
      const special = [0x22, 0x2c, 0x0a, 0x0d, 0x00, 0xff, 0x80, 0x7b]
      const copy = Buffer.from(bytes)
      if (at < copy.length) copy[at] = special[rng.int(special.length)]
      return copy
    }
  }
}

/** `count` damaged copies of `bytes`, each one to three edits, the same for a seed. */
export function* mutations(bytes: Buffer, count: number, seed: number): Generator<Buffer> {
  const rng = createRng(seed)
  for (let index = 0; index < count; index++) {
    let mutant = bytes
    const edits = 1 + rng.int(3)
    for (let edit = 0; edit < edits; edit++) mutant = mutateOnce(mutant, rng)
    yield mutant
  }
}

/** What a case ended in: a value, or the PoisonguardError that refused it; any other error fails the test. */
export async function loadedOrRefused<T>(
  work: () => Promise<T> | T,
  what: string,
): Promise<'loaded' | 'refused'> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${CASE_DEADLINE_MS} ms`)), CASE_DEADLINE_MS)
  })
  try {
    await Promise.race([Promise.resolve().then(work), deadline])
    return 'loaded'
  } catch (error) {
    if (!isPoisonguardError(error)) expect.fail(`${what}: ${(error as Error)?.stack ?? String(error)}`)
    return 'refused'
  } finally {
    clearTimeout(timer)
  }
}

/** Mutants generated per format by the byte-mutation corpus. */
export const MUTANTS_PER_FORMAT = 1000

/**
 * Mutants loaded at once, each from a file of its own: a load of a tiny file mostly waits on the file system (stat,
 * hash, read), and one at a time left the test's core idle for half its run.
 */
const LOADS_IN_FLIGHT = 8

/**
 * Loads every mutant of `valid` from files named like `path` in its folder; each must load or be refused with a
 * PoisonguardError.
 */
export async function loadMutants(valid: Buffer, path: string, seed: number) {
  const outcomes = { loaded: 0, refused: 0 }
  const queue = mutations(valid, MUTANTS_PER_FORMAT, seed)
  let index = 0
  const loadInTurn = async (slot: number) => {
    const slotPath = join(dirname(path), `${slot}-${basename(path)}`)
    for (let next = queue.next(); !next.done; next = queue.next()) {
      const what = `${path} mutant ${index++}`
      await writeFile(slotPath, next.value)
      outcomes[await loadedOrRefused(() => loadDataset(slotPath), what)]++
    }
  }
  await Promise.all(Array.from({ length: LOADS_IN_FLIGHT }, (_, slot) => loadInTurn(slot)))
  return outcomes
}
