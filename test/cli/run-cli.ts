import type { CliIo } from '../../src/cli/io.js'
import { run } from '../../src/cli/main.js'

export interface CliRun {
  exitCode: number
  stdout: string
  stderr: string
}

/** Runs the CLI in-process with captured output. */
export async function runCli(...argv: string[]): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  const io: CliIo = {
    stdout: (text) => {
      stdout += text
    },
    stderr: (text) => {
      stderr += text
    },
    interactive: false,
  }
  const exitCode = await run(argv, io)
  return { exitCode, stdout, stderr }
}
