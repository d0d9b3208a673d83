import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const loader = fileURLToPath(new URL('../fixtures/register-typescript.mjs', import.meta.url))
const entry = fileURLToPath(new URL('./cli-process.ts', import.meta.url))

export interface SpawnedCli {
  child: ChildProcess
  /** Resolves to the exit code and the signal that ended the process, if one did. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Spawns the CLI as a real process running the TypeScript sources, from any working folder. */
export function spawnCli(args: readonly string[], options: SpawnOptions = { stdio: 'ignore' }): SpawnedCli {
  const child = spawn(process.execPath, ['--import', loader, entry, ...args], options)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  )
  return { child, exited }
}

/** Spawns `poisonguard worker` with `args` and resolves once it says it listens for scan jobs. */
export async function spawnListeningWorker(args: readonly string[]): Promise<SpawnedCli> {
  const worker = spawnCli(['worker', ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let said = ''
  await new Promise<void>((resolve, reject) => {
    worker.child.stderr?.on('data', (chunk: Buffer) => {
      said += chunk.toString()
      if (said.includes('waiting for scan jobs')) resolve()
    })
    worker.exited.then(({ code }) =>
      reject(new Error(`worker exited with ${code} before it listened: ${said}`)),
    )
  })
  return worker
}
