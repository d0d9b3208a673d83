// The CLI entry point for tests that need a real process (signals), run through register-typescript.mjs.
import { processIo } from '../../src/cli/io.js'
import { run } from '../../src/cli/main.js'

process.exitCode = await run(process.argv.slice(2), processIo())
