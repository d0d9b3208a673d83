/** Where a command writes; the real process streams in production, buffers in tests. */
export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** Whether stderr is an interactive terminal (progress bars only then). */
  interactive: boolean
}

/**
 * Writes to a standard stream until its reader goes away (`poisonguard … | head`); from then on output is dropped,
 * as a pipeline expects, instead of crashing on EPIPE. The command still finishes and keeps its exit code.
 */
function pipeWriter(stream: NodeJS.WriteStream): (text: string) => void {
  let readerGone = false
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
    readerGone = true
  })
  return (text) => {
    if (!readerGone) stream.write(text)
  }
}

export function processIo(): CliIo {
  return {
    stdout: pipeWriter(process.stdout),
    stderr: pipeWriter(process.stderr),
    interactive: Boolean(process.stderr.isTTY),
  }
}
