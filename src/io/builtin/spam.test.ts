import { describe, expect, it } from 'vitest'
import { loadSpamRecords } from './spam.js'

describe('loadSpamRecords', () => {
  const records = loadSpamRecords()

  it('loads all 6,046 mails with unique group-qualified ids', () => {
    expect(records.length).toBe(6_046)
    expect(new Set(records.map((record) => record.id)).size).toBe(6_046)
    for (const record of records) expect(record.id).toMatch(/^(easy-ham-[12]|hard-ham-1|spam-[12])\/\d{5}$/)
  })

  it('labels the spam groups spam and the ham groups ham', () => {
    const spam = records.filter((record) => record.label === 'spam')
    expect(spam.length).toBe(500 + 1_396)
    expect(records.length - spam.length).toBe(2_500 + 1_400 + 250)
    for (const record of records) expect(record.label === 'spam').toBe(record.id.startsWith('spam'))
  })

  it('keeps the raw mail text, headers included, in a fixed shuffled order', () => {
    const first = records.find((record) => record.id === 'easy-ham-1/00001')
    expect(first?.text.startsWith('From exmh-workers-admin@redhat.com')).toBe(true)
    const totalChars = records.reduce((sum, record) => sum + record.text.length, 0)
    expect(totalChars).toBeGreaterThan(30_000_000)
    expect(new Set(records.slice(0, 40).map((record) => record.label)).size).toBe(2)
    expect(loadSpamRecords().map((record) => record.id)).toEqual(records.map((record) => record.id))
  })
})
