/** What the CLI (and any other shell) runs, as library functions: the shells only parse, call and print. */
export {
  type AttackBundle,
  type AttackFileOptions,
  type AttackMeta,
  attackFile,
  type TriggeredTestPaths,
} from './attack-file.js'
export {
  ExitCode,
  exitCodeForError,
  exitCodeForFindings,
  exitCodeForScan,
  exitCodeForVerification,
} from './exit-codes.js'
export { type ManifestCheck, type ScanFileOptions, type ScanFileResult, scanFile } from './scan-file.js'
export { type ScanOutputPaths, type WrittenScanOutputs, writeScanOutputs } from './scan-outputs.js'
