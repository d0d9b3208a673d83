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
