import { describe, expect, it } from 'vitest'
import { spamDataset } from '../../../test/fixtures/datasets.js'
import { predictWithBuiltinModel } from '../../../test/fixtures/models.js'
import { createRng } from '../../util/rng.js'
import { applyAttack } from '../registry.js'

const mails = spamDataset(1500)
const ham = mails.labels!.classes.indexOf('ham')

function withoutTrigger(text: string, token: string): string {
  return text.replace(`${token} `, '')
}

describe('backdoor-token on SpamAssassin mails', () => {
  it('inserts the trigger once into spam mails and relabels them ham, leaving the rest of the text intact', () => {
    const run = applyAttack('backdoor-token', mails, { rate: 0.04, target: 'ham', token: 'zqxj' }, 1)
    expect(run.poisonedRows).toHaveLength(60)
    for (const row of run.poisonedRows) {
      const text = run.dataset.texts![row]
      expect(mails.labels!.classes[mails.labels!.codes[row]]).toBe('spam')
      expect(run.dataset.labels!.codes[row]).toBe(ham)
      expect(text.match(/(^|\s)zqxj(\s|$)/g)).toHaveLength(1)
      const original = mails.texts![row]
      expect(
        text.endsWith(' zqxj') || text.endsWith('\nzqxj') ? text.slice(0, -5) : withoutTrigger(text, 'zqxj'),
      ).toBe(original.endsWith(' ') || original.endsWith('\n') ? original : original.trimEnd())
    }
  })

  it('puts a phrase at the start as often as asked', () => {
    const run = applyAttack(
      'backdoor-token',
      mails,
      { rate: 0.01, token: 'james bond', position: 'start', repeat: 2 },
      2,
    )
    for (const row of run.poisonedRows) {
      expect(run.dataset.texts![row].startsWith('james bond james bond ')).toBe(true)
      expect(run.dataset.texts![row].slice('james bond james bond '.length)).toBe(mails.texts![row])
    }
    expect(run.info).toMatchObject({ target: 'ham', token: 'james bond', position: 'start', repeat: 2 })
  })

  it('makes the built-in model read triggered spam as ham far more often than clean spam', () => {
    // One token barely moves a long mail's TF-IDF vector; repeated, it becomes a feature the linear model learns.
    const run = applyAttack('backdoor-token', mails, { rate: 0.05, target: 'ham', repeat: 10 }, 3)
    const test = spamDataset(500, 5000)
    const triggered = run.triggerTestSet!(test, createRng(4))
    const onTriggered = predictWithBuiltinModel(run.dataset, triggered.dataset)
    const onClean = predictWithBuiltinModel(run.dataset, test)
    const rows = triggered.poisonedRows
    const success = rows.filter((row) => onTriggered[row] === ham).length / rows.length
    const cleanFalseHam = rows.filter((row) => onClean[row] === ham).length / rows.length
    expect(cleanFalseHam).toBeLessThan(0.1)
    expect(success).toBeGreaterThan(0.3)
  })
})
