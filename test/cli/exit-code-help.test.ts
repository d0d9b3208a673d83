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

/** The codes beyond 0, 1 and 2 each command can end with: a script that gates on them finds them in its help. */
const ownCodes: Record<string, readonly number[]> = {
  scan: [3, 4],
  check: [3],
  'model evaluate': [3],
  'model scan-triggers': [3],
  'manifest verify': [4],
  lineage: [4],
  'audit verify': [4],
}

describe('exit codes in --help', () => {
  it('every command lists the exit codes scripts and CI rely on', async () => {
    const paths = (await commandPaths()).map((path) => path.join(' '))
    expect(paths).toEqual(expect.arrayContaining(['', 'datasets export', 'bench', ...Object.keys(ownCodes)]))
    for (const path of paths) {
      const { stdout, exitCode } = await runCli(...path.split(' ').filter(Boolean), '--help')
      expect(exitCode).toBe(0)
      const line = stdout.slice(stdout.lastIndexOf('\nExit codes: ') + 1).replace(/\n\s*/g, ' ')
      const codes = [...line.matchAll(/(?:: |, )(\d) /g)].map((match) => Number(match[1]))
      expect(line, `poisonguard ${path} --help`).toMatch(
        /^Exit codes: 0 .+, 1 bad input or usage.*, 2 internal error/,
      )
      expect(codes, `poisonguard ${path} --help`).toEqual([
        0,
        1,
        2,
        ...(path ? (ownCodes[path] ?? []) : [3, 4]),
      ])
    }
    const { stdout } = await runCli('--help')
    expect(stdout.slice(stdout.indexOf('Exit codes:'))).toMatchInlineSnapshot(`
      "Exit codes: 0 done, 1 bad input or usage, 2 internal error (please report it),
        3 a finding at or above --fail-on (scan, check, model evaluate; model scan-triggers --fail-on-backdoor),
        4 verification failed (scan --manifest, manifest verify, lineage, audit verify).
      "
    `)
  })
})
