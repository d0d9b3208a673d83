import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import type { CliIo } from '../src/cli/io.js'
import { run } from '../src/cli/main.js'
import { PoisonguardError } from '../src/errors.js'

/** A temporary folder removed after the test file. */
export function useTemporaryFolder(): (name: string) => string {
  const folder = mkdtempSync(join(tmpdir(), 'poisonguard-'))
  afterAll(() => rmSync(folder, { recursive: true, force: true }))
  return (name) => join(folder, name)
}

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

/** The typed error `action` throws; any other outcome fails the test. */
export function rejection(action: () => unknown): PoisonguardError {
  try {
    action()
  } catch (error) {
    if (error instanceof PoisonguardError) return error
    throw error
  }
  throw new Error('expected a PoisonguardError')
}
