import { encodeModel, type InitializerSpec, type NodeSpec } from '../linalg/onnx/model.js'
import { type DecodedModel, decodeModel } from '../linalg/onnx/read-model.js'
import { type DenseLayer, type DenseNetwork, networkShape } from './dense-network.js'

/** Names every exported classifier shares, so other tools can call it without reading its graph. */
export const exportedInputName = 'features'
export const exportedOutputName = 'probabilities'
const KIND_KEY = 'poisonguard.model'
const CLASSES_KEY = 'poisonguard.classes'

/** Nodes and constants of one part of a graph, to serialise alone or beside other parts. */
export interface GraphPart {
  readonly nodes: NodeSpec[]
  readonly initializers: InitializerSpec[]
}

/**
 * A built-in network as graph nodes from `input` to the probabilities in `output` (MatMul + Add per layer, ReLU
 * between layers, Softmax last); every name it adds starts with `prefix`, so several networks fit in one graph.
 */
export function networkGraphPart(
  network: DenseNetwork,
  input: string,
  output: string,
  prefix = '',
): GraphPart {
  const nodes: NodeSpec[] = []
  const initializers: InitializerSpec[] = []
  let current = input
  network.layers.forEach((layer, index) => {
    const name = `${prefix}layer${index}`
    initializers.push(
      { name: `${name}.weight`, shape: [layer.inCols, layer.outCols], values: layer.weights },
      { name: `${name}.bias`, shape: [layer.outCols], values: layer.bias },
    )
    nodes.push({ op: 'MatMul', inputs: [current, `${name}.weight`], outputs: [`${name}.product`] })
    nodes.push({ op: 'Add', inputs: [`${name}.product`, `${name}.bias`], outputs: [`${name}.logits`] })
    current = `${name}.logits`
    if (index < network.layers.length - 1) {
      nodes.push({ op: 'Relu', inputs: [current], outputs: [`${name}.hidden`] })
      current = `${name}.hidden`
    }
  })
  nodes.push({ op: 'Softmax', inputs: [current], outputs: [output], attributes: { axis: { int: 1 } } })
  return { nodes, initializers }
}

/**
 * Serialises a built-in classifier as an ONNX model: input `features` float32 [N, d], output `probabilities`
 * float32 [N, C]. The class names travel in the model's metadata, so predictions map back to labels.
 */
export function encodeNetworkModel(network: DenseNetwork, classNames: readonly string[]): Uint8Array {
  const { inputWidth, classCount } = networkShape(network)
  return encodeModel({
    name: `poisonguard_${network.kind}`,
    inputs: [{ name: exportedInputName, type: 'float', shape: ['rowCount', inputWidth] }],
    outputs: [{ name: exportedOutputName, type: 'float', shape: ['rowCount', classCount] }],
    ...networkGraphPart(network, exportedInputName, exportedOutputName),
    metadata: { [KIND_KEY]: network.kind, [CLASSES_KEY]: JSON.stringify(classNames) },
  })
}

/** The class names an exported model carries, or undefined for a model from elsewhere. */
export function exportedClassNames(decoded: DecodedModel): string[] | undefined {
  const text = decoded.metadata.get(CLASSES_KEY)
  if (!text) return undefined
  try {
    const parsed: unknown = JSON.parse(text)
    return Array.isArray(parsed) && parsed.every((name) => typeof name === 'string') ? parsed : undefined
  } catch {
    return undefined
  }
}

function readLayer(decoded: DecodedModel, index: number, prefix: string): DenseLayer | undefined {
  const weight = decoded.initializers.get(`${prefix}layer${index}.weight`)
  const bias = decoded.initializers.get(`${prefix}layer${index}.bias`)
  if (!weight || !bias || weight.shape.length !== 2) return undefined
  const [inCols, outCols] = weight.shape
  if (bias.values.length !== outCols || weight.values.length !== inCols * outCols) return undefined
  return { weights: weight.values, bias: bias.values, inCols, outCols }
}

/**
 * The built-in network inside a model this module exported, so gradient methods can use it; undefined for any
 * other model (their graphs are only run, never interpreted).
 */
export function readExportedNetwork(bytes: Uint8Array): DenseNetwork | undefined {
  const decoded = decodeModel(bytes)
  const kind = decoded.metadata.get(KIND_KEY)
  if (decoded.producer !== 'poisonguard' || (kind !== 'logreg' && kind !== 'mlp')) return undefined
  return readNetworkPart(decoded, kind)
}

/** The network of kind `kind` whose constants `networkGraphPart` wrote under `prefix`, if they are all there. */
export function readNetworkPart(
  decoded: DecodedModel,
  kind: DenseNetwork['kind'],
  prefix = '',
): DenseNetwork | undefined {
  const layerCount = kind === 'logreg' ? 1 : 2
  const layers: DenseLayer[] = []
  for (let index = 0; index < layerCount; index++) {
    const layer = readLayer(decoded, index, prefix)
    if (!layer || (index > 0 && layer.inCols !== layers[index - 1].outCols)) return undefined
    layers.push(layer)
  }
  return { kind, layers }
}
