import type { Command } from 'commander'
import { ExitCode } from '../workflows/exit-codes.js'

/** What a command's exit codes mean for it, where it says more than the shared wording or can end with 3 or 4. */
export interface ExitCodeMeanings {
  readonly ok?: string
  readonly badInput?: string
  readonly findingsAtFailOn?: string
  readonly verificationFailed?: string
}

/** Where the exit codes wrap, as commander wraps the rest of the help. */
const helpWidth = 100

/**
 * The last line of a command's help: 0, 1 and 2 always (any command can meet a bug), then 3 and 4 where the
 * command can end with them, so a script reads the same numbers with the same meanings everywhere.
 */
export function exitCodesLine(meanings: ExitCodeMeanings = {}): string {
  const codes: [number, string | undefined][] = [
    [ExitCode.ok, meanings.ok ?? 'done'],
    [ExitCode.badInput, meanings.badInput ?? 'bad input or usage'],
    [ExitCode.internal, 'internal error (please report it)'],
    [ExitCode.findingsAtFailOn, meanings.findingsAtFailOn],
    [ExitCode.verificationFailed, meanings.verificationFailed],
  ]
  const listed = codes.filter(([, meaning]) => meaning !== undefined)
  const lines = ['Exit codes:']
  for (const [index, [code, meaning]] of listed.entries()) {
    const item = `${code} ${meaning}${index === listed.length - 1 ? '.' : ','}`
    if (lines[lines.length - 1].length + item.length >= helpWidth) lines.push(item)
    else lines[lines.length - 1] += ` ${item}`
  }
  // Continuation lines are indented, as commander indents the lines of a wrapped description.
  return lines.join('\n  ')
}

const programLine = exitCodesLine({
  findingsAtFailOn:
    'a finding at or above --fail-on (scan, check, model evaluate; model scan-triggers --fail-on-backdoor)',
  verificationFailed: 'verification failed (scan --manifest, manifest verify, lineage, audit verify)',
})

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
      if (!renderHelp(sub).includes('Exit codes:')) sub.addHelpText('after', `\n${exitCodesLine()}`)
      visit(sub)
    }
  }
  visit(program)
}
