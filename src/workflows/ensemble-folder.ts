import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { PoisonguardError } from '../errors.js'
import { statOrThrow } from '../io/files.js'
import type { OutputFile } from '../io/transaction.js'
import type { PartitionEnsemble } from '../robust/ensemble.js'
import { memberInputWidth } from '../robust/learners.js'
import {
  decodeMember,
  encodeEnsemble,
  ensembleManifestName,
  parseEnsembleManifest,
} from '../robust/onnx-ensemble.js'
import { decodeEnsembleGraph, encodeEnsembleGraph } from '../robust/onnx-single-graph.js'

/** An ensemble as read from its folder, with the label of each class index. */
export interface LoadedEnsemble {
  readonly ensemble: PartitionEnsemble
  readonly classNames: readonly string[]
}

/** Whether an ensemble output or input at this path is one ONNX graph rather than a folder. */
export function isSingleGraphPath(path: string): boolean {
  return extname(path).toLowerCase() === '.onnx'
}

/**
 * An ensemble as one output: at a path ending in `.onnx`, one ONNX graph holding every member and the plurality
 * vote; otherwise a folder of `ensemble.json` (scheme, partitions, classes, member files) and one ONNX model per
 * member, which any ONNX runtime can run on its own. Written with the command's other outputs, all or none.
 */
export function ensembleFolderOutput(
  ensemble: PartitionEnsemble,
  classNames: readonly string[],
  path: string,
  flag?: string,
): OutputFile {
  if (isSingleGraphPath(path)) return { path, flag, contents: encodeEnsembleGraph(ensemble, classNames) }
  const { manifest, files } = encodeEnsemble(ensemble, classNames)
  return {
    path,
    flag,
    write: async (temporary) => {
      await mkdir(temporary)
      for (const file of files) await writeFile(join(temporary, file.name), file.bytes)
      await writeFile(join(temporary, ensembleManifestName), `${JSON.stringify(manifest, null, 2)}\n`)
    },
  }
}

/**
 * Reads an ensemble `ensembleFolderOutput` wrote, a folder or one graph; every problem is a typed error naming the
 * file.
 */
export async function loadEnsembleFolder(path: string): Promise<LoadedEnsemble> {
  if (!(await statOrThrow(path)).isDirectory())
    return decodeEnsembleGraph(new Uint8Array(await readFile(path)), path)
  const manifestPath = join(path, ensembleManifestName)
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(manifestPath, 'utf8'))
  } catch (error) {
    throw PoisonguardError.at(
      'PARSE_ERROR',
      { file: manifestPath },
      `cannot read the ensemble manifest (${(error as Error).message})`,
      'point at a folder written by poisonguard',
    )
  }
  const manifest = parseEnsembleManifest(parsed, manifestPath)
  const members = []
  for (const name of manifest.members) {
    const file = join(path, name)
    const member = decodeMember(new Uint8Array(await readFile(file).catch(() => missingMember(file))), file)
    if (memberInputWidth(member) !== manifest.cols) {
      throw PoisonguardError.at(
        'SHAPE_MISMATCH',
        { file },
        `the member does not take the manifest's ${manifest.cols} features`,
      )
    }
    members.push(member)
  }
  const { format, version, classNames, members: _files, ...shape } = manifest
  return { ensemble: { ...shape, members }, classNames }
}

function missingMember(file: string): never {
  throw PoisonguardError.at(
    'FILE_NOT_FOUND',
    { file },
    'a member model the manifest lists is missing',
    'copy the whole ensemble folder',
  )
}
