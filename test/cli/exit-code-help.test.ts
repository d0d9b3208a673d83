import { describe, expect, it } from 'vitest'
import { runCli } from './run-cli.js'

/** Names listed under "Commands:" in a help text, without the built-in `help`. */
function listedCommands(help: string): string[] {
  const section = help.split('\nCommands:\n')[1]
  if (!section) return []
  // A command starts its line two spaces in; wrapped descriptions continue further in.
  const names = section.split('\n\n')[0].matchAll(/^ {2}([a-z][\w-]*)/gm)
  return [...names].map((match) => match[1]).filter((name) => name !== 'help')
}

/** Every command path of the CLI, found by following the help texts down from the program. */
async function commandPaths(prefix: string[] = []): Promise<string[][]> {
  const { stdout, exitCode } = await runCli(...prefix, '--help')
  if (exitCode !== 0) throw new Error(`poisonguard ${prefix.join(' ')} --help exited ${exitCode}`)
  const children = listedCommands(stdout)
  const below = await Promise.all(children.map((name) => commandPaths([...prefix, name])))
  return [prefix, ...below.flat()]
}

describe('exit codes in --help', () => {
  it('every command lists the exit codes scripts and CI rely on', async () => {
    const paths = await commandPaths()
    expect(paths.map((path) => path.join(' '))).toEqual(
      expect.arrayContaining(['', 'scan', 'datasets export', 'manifest verify', 'bench', 'check']),
    )
    for (const path of paths) {
      const { stdout, exitCode } = await runCli(...path, '--help')
      expect(exitCode).toBe(0)
      expect(stdout, `poisonguard ${path.join(' ')} --help`).toMatch(
        /\nExit codes: 0 [^\n]+, 1 bad input or usage/,
      )
    }
    const { stdout } = await runCli('--help')
    expect(stdout.slice(stdout.indexOf('Exit codes:'))).toBe(
      'Exit codes: 0 done, 1 bad input or usage, 2 internal error,\n' +
        '  3 a finding at or above --fail-on (scan, check), 4 verification failed (manifest verify, lineage, scan --manifest, audit verify).\n',
    )
  })
})
