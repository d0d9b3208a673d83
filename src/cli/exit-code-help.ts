import type { Command } from 'commander'
import { ExitCode } from '../workflows/exit-codes.js'

/** The codes every command can end with; commands that can also exit 3 or 4 list their own line. */
const sharedLine =
  `Exit codes: ${ExitCode.ok} done, ${ExitCode.badInput} bad input or usage, ` +
  `${ExitCode.internal} internal error (please report it).`

const programLine =
  `Exit codes: ${ExitCode.ok} done, ${ExitCode.badInput} bad input or usage, ${ExitCode.internal} internal error,\n  ` +
  `${ExitCode.findingsAtFailOn} a finding at or above --fail-on (scan, check), ` +
  `${ExitCode.verificationFailed} verification failed (manifest verify, lineage, scan --manifest, audit verify).`

/** The help a command prints, with the texts added after it, captured instead of written. */
function renderHelp(command: Command): string {
  const output = command.configureOutput()
  let text = ''
  const collect = (part: string) => {
    text += part
  }
  command.configureOutput({ ...output, writeOut: collect })
  try {
    command.outputHelp()
  } finally {
    command.configureOutput(output)
  }
  return text
}

/**
 * Ends the help of the program and of every command below it with the exit codes it can return, so scripts and
 * CI can rely on them; a command whose help already lists its own codes keeps that line.
 */
export function addExitCodeHelp(program: Command): void {
  program.addHelpText('after', `\n${programLine}`)
  const visit = (command: Command) => {
    for (const sub of command.commands) {
      if (!renderHelp(sub).includes('Exit codes:')) sub.addHelpText('after', `\n${sharedLine}`)
      visit(sub)
    }
  }
  visit(program)
}
