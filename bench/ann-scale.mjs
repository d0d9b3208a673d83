// The neighbour phase alone, on the geometry a scan derives, to compare builds of the index at several sizes.
//   node bench/ann-scale.mjs save --data=text --rows=100000 --out=dir   the geometry (and its metric) of one size
//   node bench/ann-scale.mjs search --saved=dir [--dist=dist]           the 50-neighbour graph as a scan searches
//     it, one JSON line: process CPU seconds, the search summary (recall on its sample, lists, probes), a graph hash
import { createHash } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { makeDataset } from './synthetic-data.mjs'

const option = (name, fallback) =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1] ?? fallback
const dist = (path) => import(pathToFileURL(resolve(option('dist', 'dist'), path)).href)

async function save() {
  const out = option('out')
  const { createDefaultBackend } = await dist('linalg/default-backend.js')
  const { prepareRepresentation } = await dist('scan/representation.js')
  const { defaultGeometryDimensions } = await dist('scan/representation.js')
  const dataset = await makeDataset(option('data', 'tabular'), Number(option('rows', 10000)))
  const backend = await createDefaultBackend()
  try {
    const { geometry, metric } = await prepareRepresentation(dataset, {
      backend,
      seed: 0,
      geometryDimensions: defaultGeometryDimensions,
    })
    await mkdir(out, { recursive: true })
    const { data } = geometry
    await writeFile(`${out}/geometry.bin`, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    await writeFile(`${out}/meta.json`, JSON.stringify({ rows: geometry.rows, cols: geometry.cols, metric }))
  } finally {
    await backend.dispose()
  }
}

async function search() {
  const saved = option('saved')
  const meta = JSON.parse(await readFile(`${saved}/meta.json`, 'utf8'))
  const bytes = await readFile(`${saved}/geometry.bin`)
  const matrix = { data: new Float32Array(bytes.buffer, bytes.byteOffset, meta.rows * meta.cols), ...meta }
  const { createDefaultBackend } = await dist('linalg/default-backend.js')
  const { searchNeighbourGraph } = await dist('linalg/ann/search.js')
  const backend = await createDefaultBackend()
  try {
    const cpu = process.cpuUsage()
    const { graph, summary } = await searchNeighbourGraph(backend, matrix, 50, meta.metric, { seed: 0 })
    const used = process.cpuUsage(cpu)
    const hash = createHash('sha256')
      .update(new Uint8Array(graph.indices.buffer))
      .update(new Uint8Array(graph.distances.buffer))
    process.stdout.write(
      `${JSON.stringify({
        saved,
        dist: option('dist', 'dist'),
        cpuSeconds: (used.user + used.system) / 1e6,
        ...summary,
        hash: hash.digest('hex').slice(0, 16),
      })}\n`,
    )
  } finally {
    await backend.dispose()
  }
}

if (process.argv[2] === 'save') await save()
else await search()
