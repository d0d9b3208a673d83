import { describe, expect, it } from 'vitest'
import { classSpreadPValue, standOutAmongClasses } from './class-spread.js'

describe('classSpreadPValue', () => {
  it('finds a class far outside the close agreement of the others', () => {
    const silhouettes = [0.92, 0.16, 0.15, 0.12, 0.22, 0.17, 0.18, 0.16, 0.15, 0.16]
    expect(standOutAmongClasses(silhouettes, 0)).toBeGreaterThan(5)
    expect(classSpreadPValue([silhouettes], [true, ...Array(9).fill(false)])).toBeLessThan(1e-6)
  })

  it('weighs a class against how widely this dataset’s classes spread', () => {
    const silhouettes = [0.23, 0.38, 0.25, 0.99, 0.19, 0.22, 0.97, 0.55, 0.87, 0.25]
    expect(
      classSpreadPValue(
        [silhouettes],
        silhouettes.map((_, index) => index === 7),
      ),
    ).toBeGreaterThan(0.01)
  })

  it('needs three classes and a suspect', () => {
    expect(classSpreadPValue([[0.1, 0.9]], [false, true])).toBeUndefined()
    expect(classSpreadPValue([[0.1, 0.9, 0.2]], [false, false, false])).toBe(1)
  })
})
