import { hash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { RECORD_ENCODING, RECORD_ENCODING_V1 } from './canonical.js'
import { createRecordTree, hashBlocks, LeafRecorder, RECORDS_PER_LEAF } from './record-tree.js'

const LABELS = ['null', '"cat"', '"a longer label"'].map((json) => Buffer.from(json))

/** Record `index`'s body digest and label JSON. */
function record(index: number): [Buffer, Buffer] {
  return [hash('sha256', `record ${index}`, 'buffer'), LABELS[index % LABELS.length]]
}

function recording(from: number, count: number): LeafRecorder {
  const recorder = new LeafRecorder()
  for (let index = from; index < from + count; index++) recorder.add(...record(index))
  return recorder
}

describe('hashBlocks', () => {
  it('gives the roots of appending a recording, wherever the open block stands and however long the recording', () => {
    for (const before of [0, 1, 700, RECORDS_PER_LEAF - 1, RECORDS_PER_LEAF, 2 * RECORDS_PER_LEAF + 5]) {
      for (const count of [0, 1, 300, RECORDS_PER_LEAF - 1, RECORDS_PER_LEAF, 3 * RECORDS_PER_LEAF + 17]) {
        const appended = createRecordTree(RECORD_ENCODING)
        const hashed = createRecordTree(RECORD_ENCODING)
        for (let index = 0; index < before; index++) {
          appended.add(...record(index))
          hashed.add(...record(index))
        }
        const recorded = recording(before, count).recorded()
        const open = hashed.openBlockRecords
        expect(open).toBe(before % RECORDS_PER_LEAF)
        appended.append(recorded)
        hashed.appendHashed(recorded, open, hashBlocks(recorded, open))
        expect([hashed.count, hashed.root()]).toEqual([appended.count, appended.root()])
        // Both go on alike: the records after the recording fill the same open block.
        for (let index = before + count; index < before + count + 1500; index++) {
          appended.add(...record(index))
          hashed.add(...record(index))
        }
        expect(hashed.root()).toEqual(appended.root())
      }
    }
  })

  it('is ignored for a tree whose open block has changed since, and for v1 trees, which have no blocks', () => {
    const recorded = recording(0, 2 * RECORDS_PER_LEAF + 3).recorded()
    const stale = hashBlocks(recorded, 5)
    for (const encoding of [RECORD_ENCODING, RECORD_ENCODING_V1] as const) {
      const appended = createRecordTree(encoding)
      const hashed = createRecordTree(encoding)
      appended.append(recorded)
      hashed.appendHashed(recorded, 5, stale)
      expect(hashed.root()).toEqual(appended.root())
    }
    expect(createRecordTree(RECORD_ENCODING_V1).openBlockRecords).toBe(-1)
  })
})

describe('LeafRecorder picking from the recording of every record', () => {
  it('gives a source the trees and block hashes of recording its records on their own', () => {
    const sourceOf = (index: number) => (index % 7 === 3 ? 1 : index > 3 && index % 5 === 0 ? 2 : 0)
    const whole = new LeafRecorder()
    const picking: LeafRecorder[] = []
    const own = [new LeafRecorder(), new LeafRecorder(), new LeafRecorder()]
    for (let index = 0; index < 4 * RECORDS_PER_LEAF + 300; index++) {
      const source = sourceOf(index)
      // As a digest makes them: the first source's recorder is the whole one's clone once a second source appears.
      if (index === 3) picking[0] = whole.clone()
      whole.add(...record(index))
      if (index < 3) continue
      picking[source] ??= new LeafRecorder(whole)
      picking[source].add(...record(index))
    }
    for (let index = 0; index < 4 * RECORDS_PER_LEAF + 300; index++)
      own[sourceOf(index)].add(...record(index))
    for (const source of [0, 1, 2]) {
      const picked = picking[source].recorded()
      const recorded = own[source].recorded()
      expect(picked.picks).toBeDefined()
      expect(picked.count).toBe(recorded.count)
      for (const open of [0, 1, 700]) expect(hashBlocks(picked, open)).toEqual(hashBlocks(recorded, open))
      for (const encoding of [RECORD_ENCODING, RECORD_ENCODING_V1] as const) {
        const fromPicks = createRecordTree(encoding)
        const fromOwn = createRecordTree(encoding)
        for (let index = 0; index < 700; index++) {
          fromPicks.add(...record(100_000 + index))
          fromOwn.add(...record(100_000 + index))
        }
        const open = fromPicks.openBlockRecords
        fromPicks.appendHashed(picked, open, hashBlocks(picked, open))
        fromOwn.append(recorded)
        expect(fromPicks.root()).toEqual(fromOwn.root())
        const copied = new LeafRecorder()
        copied.append(picked)
        expect(Buffer.from(copied.recorded().bytes)).toEqual(Buffer.from(recorded.bytes))
      }
    }
  })
})
