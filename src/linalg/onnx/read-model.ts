import { ElementType } from './model.js'

/** What poisonguard reads back from an ONNX model: its metadata and its float constants by name. */
export interface DecodedModel {
  readonly producer: string
  readonly metadata: ReadonlyMap<string, string>
  readonly initializers: ReadonlyMap<string, { shape: number[]; values: Float32Array }>
}

/** A protobuf message that is not well formed; the caller turns it into a user-facing error. */
export class ProtoDecodeError extends Error {}

const WIRE_VARINT = 0
const WIRE_FIXED64 = 1
const WIRE_LENGTH_DELIMITED = 2
const WIRE_FIXED32 = 5

interface Field {
  readonly number: number
  readonly wireType: number
  /** The integer of a varint field; the byte offset of a fixed field. */
  readonly value: number
  readonly bytes?: Uint8Array
}

function readVarint(bytes: Uint8Array, start: number): { value: number; next: number } {
  let value = 0
  let factor = 1
  let position = start
  for (let shift = 0; shift < 70; shift += 7) {
    if (position >= bytes.length) throw new ProtoDecodeError('truncated varint')
    const byte = bytes[position++]
    value += (byte & 0x7f) * factor
    factor *= 128
    if (byte < 0x80) return { value, next: position }
  }
  throw new ProtoDecodeError('varint longer than ten bytes')
}

/** The top-level fields of one message, in order; nested messages stay as bytes. */
function readFields(bytes: Uint8Array): Field[] {
  const fields: Field[] = []
  let position = 0
  while (position < bytes.length) {
    const tag = readVarint(bytes, position)
    position = tag.next
    const number = Math.floor(tag.value / 8)
    const wireType = tag.value % 8
    if (number < 1) throw new ProtoDecodeError(`field number ${number}`)
    if (wireType === WIRE_VARINT) {
      const varint = readVarint(bytes, position)
      fields.push({ number, wireType, value: varint.value })
      position = varint.next
    } else if (wireType === WIRE_LENGTH_DELIMITED) {
      const length = readVarint(bytes, position)
      const end = length.next + length.value
      if (end > bytes.length) throw new ProtoDecodeError('length-delimited field runs past the end')
      fields.push({ number, wireType, value: length.value, bytes: bytes.subarray(length.next, end) })
      position = end
    } else if (wireType === WIRE_FIXED32 || wireType === WIRE_FIXED64) {
      const size = wireType === WIRE_FIXED32 ? 4 : 8
      if (position + size > bytes.length) throw new ProtoDecodeError('fixed-width field runs past the end')
      fields.push({ number, wireType, value: position, bytes: bytes.subarray(position, position + size) })
      position += size
    } else {
      throw new ProtoDecodeError(`unsupported wire type ${wireType}`)
    }
  }
  return fields
}

const textDecoder = new TextDecoder()

function text(field: Field | undefined): string {
  return field?.bytes ? textDecoder.decode(field.bytes) : ''
}

function littleEndianFloats(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return Float32Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true))
}

function decodeTensor(bytes: Uint8Array) {
  const fields = readFields(bytes)
  const shape: number[] = []
  let type = 0
  let name = ''
  let values: Float32Array = new Float32Array(0)
  const packedFloats: number[] = []
  for (const field of fields) {
    if (field.number === 1 && field.wireType === WIRE_VARINT) shape.push(field.value)
    else if (field.number === 1 && field.bytes) {
      for (let position = 0; position < field.bytes.length; ) {
        const dim = readVarint(field.bytes, position)
        shape.push(dim.value)
        position = dim.next
      }
    } else if (field.number === 2) type = field.value
    else if (field.number === 8) name = text(field)
    else if (field.number === 9 && field.bytes) values = littleEndianFloats(field.bytes)
    // float_data: packed (length-delimited) or one fixed32 value per field; both are little-endian floats.
    else if (field.number === 4 && field.bytes) packedFloats.push(...littleEndianFloats(field.bytes))
  }
  if (packedFloats.length > 0) values = Float32Array.from(packedFloats)
  return { name, type, shape, values }
}

/**
 * Reads the producer, `metadata_props` and float initializers of a serialised ONNX model; the graph's nodes are left
 * to ONNX Runtime. Throws `ProtoDecodeError` when the bytes are not a protobuf message.
 */
export function decodeModel(bytes: Uint8Array): DecodedModel {
  const fields = readFields(bytes)
  const metadata = new Map<string, string>()
  const initializers = new Map<string, { shape: number[]; values: Float32Array }>()
  for (const field of fields) {
    if (field.number === 14 && field.bytes) {
      const entry = readFields(field.bytes)
      metadata.set(text(entry.find((f) => f.number === 1)), text(entry.find((f) => f.number === 2)))
    }
    if (field.number === 7 && field.bytes) {
      for (const graphField of readFields(field.bytes)) {
        if (graphField.number !== 5 || !graphField.bytes) continue
        const tensor = decodeTensor(graphField.bytes)
        if (tensor.type === ElementType.float) initializers.set(tensor.name, tensor)
      }
    }
  }
  return { producer: text(fields.find((f) => f.number === 2)), metadata, initializers }
}
