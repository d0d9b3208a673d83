import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { networkFromLogistic } from '../../src/models/dense-network.js'
import { trainLogisticRegression } from '../../src/models/logistic-regression.js'
import { encodeNetworkModel } from '../../src/models/onnx-export.js'
import { mnistDataset } from '../fixtures/datasets.js'
import { startTestService, type TestService } from './harness.js'

function rowsOf(features: { data: Float32Array; rows: number; cols: number }): number[][] {
  return Array.from({ length: features.rows }, (_, row) =>
    Array.from(features.data.subarray(row * features.cols, (row + 1) * features.cols)),
  )
}

describe('POST /v1/guard', () => {
  let t: TestService
  beforeAll(async () => {
    t = await startTestService()
  })
  afterAll(() => t.stop())

  test('scores each input with STRIP at the requested false-rejection rate', async () => {
    const train = mnistDataset(500)
    const model = encodeNetworkModel(
      networkFromLogistic(trainLogisticRegression(train.features!, train.labels!.codes, { classCount: 10 })),
      train.labels!.classes,
    )
    const calibration = rowsOf(mnistDataset(100, 8000).features!)
    const inputs = rowsOf(mnistDataset(5, 8100).features!)
    const body = {
      model: Buffer.from(model).toString('base64'),
      calibration,
      inputs,
      falseRejectionRate: 0.05,
    }
    const { status, body: result } = await t.call('POST', '/v1/guard', { token: t.adminToken, body })
    expect(status).toBe(200)
    expect(result.falseRejectionRate).toBe(0.05)
    expect(result.threshold).toBeGreaterThan(0)
    expect(result.inputs).toHaveLength(5)
    expect(result.inputs[0]).toEqual({ entropy: expect.any(Number), rejected: expect.any(Boolean) })
  })

  test('refuses rows of the wrong width with a clear error, and callers without a token', async () => {
    const model = Buffer.from(
      encodeNetworkModel(
        networkFromLogistic(
          trainLogisticRegression(
            { data: new Float32Array([0, 1, 1, 0]), rows: 2, cols: 2 },
            Int32Array.of(0, 1),
          ),
        ),
        ['a', 'b'],
      ),
    ).toString('base64')
    const body = {
      model,
      calibration: [
        [0, 1],
        [1, 0],
      ],
      inputs: [[0, 1, 2]],
    }
    const wrong = await t.call('POST', '/v1/guard', { token: t.adminToken, body })
    expect(wrong.status).toBe(400)
    expect(wrong.body.error.message).toContain('takes 2 features per row, but the data has 3')
    const anonymous = await t.call('POST', '/v1/guard', { body })
    expect(anonymous.status).toBe(401)
  })
})
