import { z } from 'zod'
import type { FeatureMatrix } from '../../data/matrix.js'
import { PoisonguardError } from '../../errors.js'
import { guard } from '../../workflows/guard.js'
import { defineRoute } from '../route.js'

const rowsSchema = z.array(z.array(z.number().finite()).min(1)).min(1)

function toMatrix(rows: number[][], field: string): FeatureMatrix {
  const cols = rows[0].length
  const bad = rows.findIndex((row) => row.length !== cols)
  if (bad >= 0) {
    throw PoisonguardError.at(
      'SHAPE_MISMATCH',
      { path: `body.${field}.${bad}` },
      `row ${bad} has ${rows[bad].length} values, the first has ${cols}`,
      'send rows of equal length',
    )
  }
  return { data: Float32Array.from(rows.flat()), rows: rows.length, cols }
}

/** `POST /v1/guard`: STRIP scores of inference inputs for a model, calibrated on clean inputs sent alongside. */
export const guardRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/guard',
    summary: 'score inference inputs with STRIP and reject likely trigger carriers',
    tag: 'models',
    body: z
      .object({
        model: z.string().min(1).describe('the ONNX classifier, base64'),
        calibration: rowsSchema.describe(
          'clean inputs, one array of features per input (at least 100 advised)',
        ),
        inputs: rowsSchema.describe('the inputs to score'),
        falseRejectionRate: z.number().gt(0).lt(1).default(0.01),
        overlays: z.number().int().min(1).max(100).optional(),
        seed: z.number().int().default(1),
      })
      .strict(),
    access: { kind: 'user' },
    handler: async ({ body }) =>
      guard(toMatrix(body.inputs, 'inputs'), {
        model: new Uint8Array(Buffer.from(body.model, 'base64')),
        calibration: toMatrix(body.calibration, 'calibration'),
        falseRejectionRate: body.falseRejectionRate,
        overlays: body.overlays,
        seed: body.seed,
      }),
  }),
]
