import { readFile, writeFile } from 'node:fs/promises'
import { datasetFormats } from '../../src/io/formats/index.js'
import { loadDataset } from '../../src/io/index.js'

/** A small valid CSV with every column role, quoting, an empty cell and a CRLF line end. */
export const SAMPLE_CSV = [
  'id,label,text,source,x,y',
  '1,a,"hello, world",web,1.5,2',
  '2,b,"say ""hi""",api,3,-4e1',
  '3,a,plain,web,,7\r',
  '4,b,more text,api,0.25,8',
  '5,a,last one,web,9,10',
  '',
].join('\n')

/** The same records as JSON Lines. */
export const SAMPLE_JSONL = [
  '{"id": 1, "label": "a", "text": "hello, world", "source": "web", "x": 1.5, "y": 2}',
  '{"id": 2, "label": "b", "text": "say \\"hi\\"", "source": "api", "x": 3, "y": -40}',
  '{"id": 3, "label": "a", "text": "plain", "source": "web", "x": null, "y": 7}',
  '{"id": 4, "label": "b", "text": "more text", "source": "api", "x": 0.25, "y": 8}',
  '{"id": 5, "label": "a", "text": "last one", "source": "web", "x": 9, "y": 10}',
  '',
].join('\n')

/** The bytes of a valid Parquet file of the sample records, written by the Parquet adapter in a temporary folder. */
export async function sampleParquet(temporary: (name: string) => string): Promise<Buffer> {
  await writeFile(temporary('sample.csv'), SAMPLE_CSV)
  await datasetFormats.parquet.write(await loadDataset(temporary('sample.csv')), temporary('sample.parquet'))
  return readFile(temporary('sample.parquet'))
}

/** A float32 `.npy` file of shape (rows, cols), laid out as numpy.save writes it. */
export function sampleNpy(rows: number, cols: number): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`
  header += `${' '.repeat(63 - ((10 + header.length) % 64))}\n`
  const prefix = Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, header.length & 255, header.length >> 8])
  const data = Float32Array.from({ length: rows * cols }, (_, index) => index / 4)
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(data.buffer)])
}
