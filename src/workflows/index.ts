/** What the CLI (and any other shell) runs, as library functions: the shells only parse, call and print. */
export {
  type AttackBundle,
  type AttackFileOptions,
  type AttackMeta,
  attackFile,
  type TriggeredTestPaths,
} from './attack-file.js'
export { type CrowdFileOptions, type CrowdFileResult, crowdFile } from './crowd-file.js'
export { renderCrowdHtml } from './crowd-html.js'
export {
  type AnnotationColumns,
  type LoadAnnotationsOptions,
  type LoadedAnnotations,
  loadAnnotations,
  loadGoldLabels,
} from './crowd-input.js'
export {
  ExitCode,
  exitCodeForError,
  exitCodeForFindings,
  exitCodeForScan,
  exitCodeForVerification,
} from './exit-codes.js'
export { type ManifestCheck, type ScanFileOptions, type ScanFileResult, scanFile } from './scan-file.js'
export { type ScanOutputPaths, type WrittenScanOutputs, writeScanOutputs } from './scan-outputs.js'
