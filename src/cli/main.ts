import { availableParallelism } from 'node:os'
import { setFlagsFromString } from 'node:v8'
import { Command, CommanderError } from 'commander'
import { isPoisonguardError } from '../errors.js'
import { version } from '../version.js'
import { ExitCode, exitCodeForError } from '../workflows/exit-codes.js'
import { addExitCodeHelp } from './exit-code-help.js'
import type { CliIo } from './io.js'
import { withEscapedOutput } from './terminal-text.js'

type Register = (program: Command, io: CliIo, setExitCode: (code: number) => void) => void

/**
 * Every command module, in the order help lists them, with the top-level commands it registers. Only the module of
 * the command being run is loaded (all of them for help or an unknown command): loading every command's code, the
 * service's database drivers among it, took about a second of CPU before a scan could start.
 */
const commandModules: readonly (readonly [readonly string[], () => Promise<Register>])[] = [
  [['scan'], async () => (await import('./scan-command.js')).registerScanCommand],
  [['datasets'], async () => (await import('./datasets-command.js')).registerDatasetsCommand],
  [['attack'], async () => (await import('./attack-command.js')).registerAttackCommand],
  [
    ['keygen', 'lineage', 'manifest'],
    async () => (await import('./provenance-command.js')).registerProvenanceCommand,
  ],
  [['detectors'], async () => (await import('./detectors-command.js')).registerDetectorsCommand],
  [['bench'], async () => (await import('./bench-command.js')).registerBenchCommand],
  [['schema'], async () => (await import('./schema-command.js')).registerSchemaCommand],
  [['check'], async () => (await import('./check-command.js')).registerCheckCommand],
  [
    ['serve', 'worker', 'audit', 'keys'],
    async () => (await import('./serve-command.js')).registerServiceCommands,
  ],
  [['crowd'], async () => (await import('./crowd-command.js')).registerCrowdCommand],
  [['train'], async () => (await import('./train-command.js')).registerTrainCommand],
  [['model'], async () => (await import('./model-command.js')).registerModelCommand],
  [['certify'], async () => (await import('./certify-command.js')).registerCertifyCommand],
  [['trace'], async () => (await import('./trace-command.js')).registerTraceCommand],
]

/**
 * A scan on this machine starts one detector worker per core first thing (`scanFile`). Started here, before the scan
 * command's modules load (about a third of a second of one core), they boot and load their code on the core that
 * loading leaves idle. Not for help, nor for `--workers`, whose scan runs elsewhere.
 */
async function prestartScanWorkers(argv: readonly string[]): Promise<void> {
  const elsewhere = (arg: string) =>
    arg === '--help' || arg === '-h' || arg === '--workers' || arg.startsWith('--workers=')
  if (argv[0] !== 'scan' || argv.some(elsewhere)) return
  // A scan runs one more thread of JavaScript than there are cores, each in its own isolate and each running most
  // of its code once: a compile in the background competes with them for a core while the loop it is for keeps
  // running in the interpreter (about 0.5 of 7 CPU s on MNIST, docs/scale.md). Only isolates created after this
  // take the flag: the workers compile on their own threads, and the scan's thread, alone while it reads the file,
  // keeps compiling in the background.
  setFlagsFromString('--no-concurrent-recompilation')
  const { prestartDetectorWorkers } = await import('../parallel/prestart.js')
  prestartDetectorWorkers(availableParallelism())
}

/** The register functions of the modules `argv` needs: the one naming its first argument, else all. */
async function loadCommands(argv: readonly string[]): Promise<Register[]> {
  await prestartScanWorkers(argv)
  const named = commandModules.filter(([names]) => names.includes(argv[0]))
  return Promise.all((named.length > 0 ? named : commandModules).map(([, load]) => load()))
}

/** Reports an error on stderr and returns its exit code: usage and typed input errors 1, anything else 2. */
function reportError(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.badInput
  if (isPoisonguardError(error)) io.stderr(`error: ${error.describe()}\n`)
  else io.stderr(`internal error: ${(error as Error)?.stack ?? String(error)}\nplease report this as a bug\n`)
  return exitCodeForError(error)
}

function buildProgram(
  io: CliIo,
  setExitCode: (code: number) => void,
  commands: readonly Register[],
): Command {
  const program = new Command('poisonguard')
    .description('find, trace and neutralise data poisoning in machine-learning training data')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
  for (const register of commands) register(program, io, setExitCode)
  addExitCodeHelp(program)
  return program
}

/** Runs the CLI on `argv` (without node and script) and resolves to the process exit code. */
export async function run(argv: readonly string[], rawIo: CliIo): Promise<number> {
  // Everything printed can quote user data (column names, labels, manifest fields): never let it steer a terminal.
  const io = withEscapedOutput(rawIo)
  let exitCode: number = ExitCode.ok
  const setExitCode = (code: number) => {
    exitCode = code
  }
  const program = buildProgram(io, setExitCode, await loadCommands(argv))
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return exitCode
  } catch (error) {
    return reportError(error, io)
  }
}
