// Runs one CLI command in this process and prints its peak resident memory and CPU time, so the parent can time the whole
// command (start-up included) while the child reports memory it alone can see.
import { run } from '../dist/cli/main.js'

const quietIo = { stdout: () => {}, stderr: (text) => process.stderr.write(text), interactive: false }
const exitCode = await run(process.argv.slice(2), quietIo)
const usage = process.resourceUsage()
// CPU time of every thread of the process (worker threads and native pools included), to report cores used.
const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6
process.stdout.write(`${JSON.stringify({ exitCode, maxRssMiB: usage.maxRSS / 1024, cpuSeconds })}\n`)
