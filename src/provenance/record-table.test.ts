import { describe, expect, it } from 'vitest'
import { RecordTable } from './record-table.js'

describe('record table', () => {
  it('holds exactly the records added, below, at and beyond the capacity it was made with', () => {
    for (const capacity of [0, 2, 3, 5]) {
      const table = new RecordTable(capacity)
      for (let index = 0; index < 3; index++)
        table.add(`r${index}`, index === 1 ? null : 's', `${index}`, new Uint8Array(32).fill(index))
      table.trim()
      expect(table.count).toBe(3)
      expect(table.ids).toEqual(['r0', 'r1', 'r2'])
      expect(table.sources).toEqual(['s', null, 's'])
      expect(table.labels).toEqual(['0', '1', '2'])
      expect(Array.from(table.bodyDigest(2))).toEqual(new Array(32).fill(2))
    }
  })
})
