import { describe, expect, it } from 'vitest'
import { extractTokenFeatures } from './text-features.js'
import { MaskedTextReader } from './text-reading.js'

/** Thirty texts of each class, and one record of the second class with a phrase the first class holds, relabelled. */
function corpus() {
  const texts = [...Array(30).fill('apple the system'), ...Array(30).fill('river stone'), 'river the system']
  const codes = Int32Array.from(texts, (_, row) => (row < 30 || row === 60 ? 0 : 1))
  return { texts, codes, carrier: 60 }
}

describe('MaskedTextReader', () => {
  it('reads a record by the words it shares with others, and by its other words once the phrase is hidden', () => {
    const { texts, codes, carrier } = corpus()
    const incidence = extractTokenFeatures(texts)
    const reader = new MaskedTextReader(incidence)
    const labels = new Int32Array(5)
    reader.hide(new Set()).nearestLabels(carrier, undefined, codes, labels)
    expect(Array.from(labels)).toEqual([0, 0, 0, 0, 0])
    const phrase = new Set(extractTokenFeatures(['the system']).features)
    reader.hide(phrase).nearestLabels(carrier, undefined, codes, labels)
    expect(Array.from(labels)).toEqual([1, 1, 1, 1, 1])
  })

  it('leaves out marked records and records that share nothing but hidden words', () => {
    const { texts, codes, carrier } = corpus()
    const reader = new MaskedTextReader(extractTokenFeatures(texts))
    const marks = new Uint8Array(texts.length)
    marks.fill(1, 30, 60)
    const labels = new Int32Array(3)
    reader
      .hide(new Set(extractTokenFeatures(['the system']).features))
      .nearestLabels(carrier, marks, codes, labels)
    expect(Array.from(labels)).toEqual([-1, -1, -1])
    expect(Array.from(reader.unmarkedSample(marks, codes, 100)).every((row) => !marks[row])).toBe(true)
  })
})
