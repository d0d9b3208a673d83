import { describe, expect, it, vi } from 'vitest'
import { PoisonguardError } from '../../errors.js'
import { openOnnxSession } from './session.js'

// A machine where the optional native package is absent or broken: importing it fails.
vi.mock('onnxruntime-node', () => {
  throw new Error('Cannot find module onnxruntime-node')
})

describe('openOnnxSession without onnxruntime-node', () => {
  it('says which package is missing and how to install it', async () => {
    const error = await openOnnxSession(new Uint8Array(8), 'model.onnx').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(PoisonguardError)
    expect(error).toMatchObject({
      code: 'MISSING_DEPENDENCY',
      hint: 'install it next to poisonguard: npm install onnxruntime-node',
    })
    expect((error as Error).message).toContain('model.onnx needs the optional package "onnxruntime-node"')
  })
})
