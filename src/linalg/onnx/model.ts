import { ProtoWriter } from './protobuf.js'

/** ONNX tensor element types used by the kernels (values of `TensorProto.DataType`). */
export const ElementType = { float: 1, int64: 7 } as const
export type ElementTypeName = keyof typeof ElementType

/** A graph input or output: element type and shape, where a string names a dimension fixed only at run time. */
export interface ValueSpec {
  readonly name: string
  readonly type: ElementTypeName
  readonly shape: readonly (number | string)[]
}

/** A node attribute: an int64, a float or a list of int64 (such as a reduction's axes). */
export type AttributeValue =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly ints: readonly number[] }

/** One operator of the default ONNX domain with its named inputs, outputs and attributes. */
export interface NodeSpec {
  readonly op: string
  readonly inputs: readonly string[]
  readonly outputs: readonly string[]
  readonly attributes?: Readonly<Record<string, AttributeValue>>
}

/** A constant float tensor stored in the graph (weights, biases), read by nodes under its name. */
export interface InitializerSpec {
  readonly name: string
  readonly shape: readonly number[]
  readonly values: Float32Array
}

/** A whole graph: typed inputs and outputs, nodes in topological order, constants and model metadata. */
export interface GraphSpec {
  readonly name: string
  readonly inputs: readonly ValueSpec[]
  readonly outputs: readonly ValueSpec[]
  readonly nodes: readonly NodeSpec[]
  readonly initializers?: readonly InitializerSpec[]
  /** `producer_name` of the model; default poisonguard. */
  readonly producer?: string
  /** Key–value pairs stored in the model's `metadata_props`. */
  readonly metadata?: Readonly<Record<string, string>>
}

// Field numbers from onnx/onnx.proto3.
const IR_VERSION = 8
const OPSET_VERSION = 17
const ATTRIBUTE_TYPE_FLOAT = 1
const ATTRIBUTE_TYPE_INT = 2
const ATTRIBUTE_TYPE_INTS = 7

function encodeValueInfo(spec: ValueSpec): ProtoWriter {
  const shape = new ProtoWriter()
  for (const dim of spec.shape) {
    const dimension = new ProtoWriter()
    if (typeof dim === 'number') dimension.int(1, dim)
    else dimension.string(2, dim)
    shape.message(1, dimension)
  }
  const tensorType = new ProtoWriter().int(1, ElementType[spec.type]).message(2, shape)
  const type = new ProtoWriter().message(1, tensorType)
  return new ProtoWriter().string(1, spec.name).message(2, type)
}

function encodeAttribute(name: string, value: AttributeValue): ProtoWriter {
  const attribute = new ProtoWriter().string(1, name)
  if ('int' in value) return attribute.int(3, value.int).int(20, ATTRIBUTE_TYPE_INT)
  if ('ints' in value) {
    for (const item of value.ints) attribute.int(8, item)
    return attribute.int(20, ATTRIBUTE_TYPE_INTS)
  }
  return attribute.float(2, value.float).int(20, ATTRIBUTE_TYPE_FLOAT)
}

function encodeInitializer(spec: InitializerSpec): ProtoWriter {
  const tensor = new ProtoWriter()
  for (const dim of spec.shape) tensor.int(1, dim)
  tensor.int(2, ElementType.float).string(8, spec.name)
  // raw_data is little-endian; copy through a DataView so big-endian hosts write the same bytes.
  const raw = new Uint8Array(spec.values.length * 4)
  const view = new DataView(raw.buffer)
  for (let i = 0; i < spec.values.length; i++) view.setFloat32(i * 4, spec.values[i], true)
  return tensor.bytes(9, raw)
}

function encodeNode(spec: NodeSpec, index: number): ProtoWriter {
  const node = new ProtoWriter()
  for (const input of spec.inputs) node.string(1, input)
  for (const output of spec.outputs) node.string(2, output)
  node.string(3, `${spec.op.toLowerCase()}_${index}`).string(4, spec.op)
  for (const [name, value] of Object.entries(spec.attributes ?? {}))
    node.message(5, encodeAttribute(name, value))
  return node
}

/** Serialises a single-graph ONNX model (IR version 8, default-domain opset 17) to protobuf bytes. */
export function encodeModel(spec: GraphSpec): Uint8Array {
  const graph = new ProtoWriter()
  spec.nodes.forEach((node, index) => {
    graph.message(1, encodeNode(node, index))
  })
  graph.string(2, spec.name)
  for (const initializer of spec.initializers ?? []) graph.message(5, encodeInitializer(initializer))
  for (const input of spec.inputs) graph.message(11, encodeValueInfo(input))
  for (const output of spec.outputs) graph.message(12, encodeValueInfo(output))
  const opset = new ProtoWriter().string(1, '').int(2, OPSET_VERSION)
  const model = new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, spec.producer ?? 'poisonguard')
    .message(7, graph)
    .message(8, opset)
  for (const [key, value] of Object.entries(spec.metadata ?? {}))
    model.message(14, new ProtoWriter().string(1, key).string(2, value))
  return model.finish().slice()
}
