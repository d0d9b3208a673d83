import { createHash, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { PoisonguardError } from '../errors.js'
import type { ModelInput } from '../models/model-input.js'
import { createEnvelope, type DsseEnvelope, IN_TOTO_PAYLOAD_TYPE } from './dsse.js'
import { STATEMENT_TYPE } from './statement.js'

/** The predicate type of a poisonguard model card. */
export const MODEL_CARD_PREDICATE_TYPE = 'https://poisonguard.dev/model-card/v1'

/** The training data a model was fitted on, by content: file hash, record Merkle root and, when given, its manifest. */
export interface TrainingDataDigest {
  path: string
  format: string
  sha256: string
  recordCount: number
  /** Root over the canonical per-record hashes, the same as a dataset manifest's. */
  merkleRoot: string
  /** The dataset's manifest file and its SHA-256, linking the model to a signed dataset version. */
  manifest?: { path: string; sha256: string }
}

/** What a model card says: lineage from the records to the model, its settings and how well it fitted. */
export interface ModelCardPredicate {
  model: {
    kind: 'logreg' | 'mlp'
    classes: string[]
    inputWidth: number
    parameters: Record<string, unknown>
  }
  /** How the model reads a dataset; the text IDF travels base64-encoded (float32, little-endian). */
  input: { kind: 'features'; columns: string[] } | { kind: 'text'; hashBits: number; idf: string }
  /** The training procedure: `standard`, or a robust one with its parameters. */
  training: { procedure: string; parameters: Record<string, unknown> }
  seed: number
  trainingData: TrainingDataDigest
  metrics: Record<string, number>
  tool: { name: 'poisonguard'; version: string }
  createdAt: string
}

/** An in-toto statement whose subject is the model file. */
export interface ModelCardStatement {
  _type: typeof STATEMENT_TYPE
  subject: { name: string; digest: { sha256: string } }[]
  predicateType: typeof MODEL_CARD_PREDICATE_TYPE
  predicate: ModelCardPredicate
}

/** Where a model's card goes: beside the model, `model.onnx` → `model.onnx.card.json`. */
export function modelCardPathFor(modelPath: string): string {
  return `${modelPath}.card.json`
}

/** The model input as a card stores it (JSON-safe). */
export function cardInput(input: ModelInput): ModelCardPredicate['input'] {
  if (input.kind === 'features') return { kind: 'features', columns: [...input.columns] }
  const bytes = new Uint8Array(input.idf.buffer, input.idf.byteOffset, input.idf.byteLength)
  return { kind: 'text', hashBits: input.hashBits, idf: Buffer.from(bytes).toString('base64') }
}

/** The model input a card describes. */
export function inputFromCard(input: ModelCardPredicate['input']): ModelInput {
  if (input.kind === 'features') return input
  const bytes = Buffer.from(input.idf, 'base64')
  const idf = new Float32Array(bytes.length / 4)
  new Uint8Array(idf.buffer).set(bytes)
  return { kind: 'text', hashBits: input.hashBits, idf }
}

/** A DSSE envelope around the model card statement for `modelBytes`, signed when a key is given. */
export function createModelCard(
  modelName: string,
  modelBytes: Uint8Array,
  predicate: ModelCardPredicate,
  privateKey?: KeyObject,
): DsseEnvelope {
  const statement: ModelCardStatement = {
    _type: STATEMENT_TYPE,
    subject: [{ name: modelName, digest: { sha256: createHash('sha256').update(modelBytes).digest('hex') } }],
    predicateType: MODEL_CARD_PREDICATE_TYPE,
    predicate,
  }
  return createEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(statement), 'utf8'), privateKey)
}

/**
 * The card beside a model, or undefined when there is none (a model from elsewhere). A card whose subject is not
 * this model's bytes is refused with `TAMPERED`: it describes another model.
 */
export async function readModelCard(
  modelPath: string,
  modelBytes: Uint8Array,
): Promise<ModelCardStatement | undefined> {
  const path = modelCardPathFor(modelPath)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    return undefined
  }
  let statement: ModelCardStatement
  try {
    const envelope = JSON.parse(text) as DsseEnvelope
    statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as ModelCardStatement
  } catch {
    throw PoisonguardError.at(
      'PARSE_ERROR',
      { file: path },
      'not a model card (a DSSE envelope of JSON)',
      'delete it or write it again with poisonguard train',
    )
  }
  if (statement.predicateType !== MODEL_CARD_PREDICATE_TYPE) return undefined
  const sha256 = createHash('sha256').update(modelBytes).digest('hex')
  if (statement.subject?.[0]?.digest?.sha256 !== sha256) {
    throw PoisonguardError.at(
      'TAMPERED',
      { file: path },
      `the model card describes a model with SHA-256 ${statement.subject?.[0]?.digest?.sha256}, but ${modelPath} has ${sha256}`,
      'train the model again, or remove the stale card',
    )
  }
  return statement
}
