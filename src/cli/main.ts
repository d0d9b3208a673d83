import { Command, CommanderError } from 'commander'
import { isPoisonguardError } from '../errors.js'
import { version } from '../version.js'
import { ExitCode, exitCodeForError } from '../workflows/exit-codes.js'
import { registerAttackCommand } from './attack-command.js'
import { registerBenchCommand } from './bench-command.js'
import { registerCertifyCommand } from './certify-command.js'
import { registerCheckCommand } from './check-command.js'
import { registerCrowdCommand } from './crowd-command.js'
import { registerDatasetsCommand } from './datasets-command.js'
import { registerDetectorsCommand } from './detectors-command.js'
import { addExitCodeHelp } from './exit-code-help.js'
import type { CliIo } from './io.js'
import { registerModelCommand } from './model-command.js'
import { registerProvenanceCommand } from './provenance-command.js'
import { registerScanCommand } from './scan-command.js'
import { registerSchemaCommand } from './schema-command.js'
import { registerServiceCommands } from './serve-command.js'
import { withEscapedOutput } from './terminal-text.js'
import { registerTraceCommand } from './trace-command.js'
import { registerTrainCommand } from './train-command.js'

/** Reports an error on stderr and returns its exit code: usage and typed input errors 1, anything else 2. */
function reportError(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.badInput
  if (isPoisonguardError(error)) io.stderr(`error: ${error.describe()}\n`)
  else io.stderr(`internal error: ${(error as Error)?.stack ?? String(error)}\nplease report this as a bug\n`)
  return exitCodeForError(error)
}

function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('poisonguard')
    .description('find, trace and neutralise data poisoning in machine-learning training data')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
  registerScanCommand(program, io, setExitCode)
  registerDatasetsCommand(program, io)
  registerAttackCommand(program, io, setExitCode)
  registerProvenanceCommand(program, io, setExitCode)
  registerDetectorsCommand(program, io)
  registerBenchCommand(program, io, setExitCode)
  registerSchemaCommand(program, io, setExitCode)
  registerCheckCommand(program, io, setExitCode)
  registerServiceCommands(program, io, setExitCode)
  registerCrowdCommand(program, io)
  registerTrainCommand(program, io)
  registerModelCommand(program, io, setExitCode)
  registerCertifyCommand(program, io)
  registerTraceCommand(program, io)
  addExitCodeHelp(program)
  return program
}

/** Runs the CLI on `argv` (without node and script) and resolves to the process exit code. */
export async function run(argv: readonly string[], rawIo: CliIo): Promise<number> {
  // Everything printed can quote user data (column names, labels, manifest fields): never let it steer a terminal.
  const io = withEscapedOutput(rawIo)
  let exitCode: number = ExitCode.ok
  const program = buildProgram(io, (code) => {
    exitCode = code
  })
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return exitCode
  } catch (error) {
    return reportError(error, io)
  }
}
