import { defineConfig } from 'vitest/config'
import { HeaviestFirst } from './test/heaviest-first.js'

const pluginTest = 'test/cli/register-detector.test.ts'

/*
 * The projects, all run by `vitest run` (and so by `npm test` and CI): fast unit and contract tests, the
 * detection-quality bars on real data (planted poison in MNIST and SpamAssassin, drift calibration and
 * power), the CLI driven in-process, the package as users get it (the browser core, an installed tarball),
 * the fuzz suite, and the intake service over real HTTP, SQLite, PostgreSQL and Redis. `vitest run --project quality` runs one of them.
 */
export default defineConfig({
  test: {
    // Only a hang should fail by time: on the shared 2-core machine under other suites' load, three quality tests
    // ran 145–264 s and failed at the former 120 s with no assertion failing.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // Vitest's default leaves one core idle (cores − 1 workers): on a 2-core machine the suite would run serially.
    maxWorkers: 2,
    sequence: { sequencer: HeaviestFirst },
    globalSetup: ['test/fixtures/shared-data.ts'],
    setupFiles: ['test/fixtures/typed-array-equality.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/*.test.ts'],
          // About 150 small files: a fresh process and module graph for each cost more than their tests (101 s of
          // wall against 50 s shared). They keep no state between files but the detector registry, which tests
          // read as it stands.
          isolate: false,
        },
      },
      {
        extends: true,
        // The quality, CLI and fuzz files too keep their state in their own modules (datasets, prepared scans,
        // temporary folders) and share a process per worker: a fresh one for each file cost a second or two of CPU
        // to load the sources again, the CLI's most.
        test: { name: 'quality', include: ['test/quality/**/*.test.ts'], isolate: false },
      },
      {
        extends: true,
        test: { name: 'cli', include: ['test/cli/**/*.test.ts'], exclude: [pluginTest], isolate: false },
      },
      {
        extends: true,
        // A registered detector joins every later default scan of its process: this file runs in a process of its own.
        test: { name: 'cli-plugin', include: [pluginTest] },
      },
      {
        extends: true,
        test: { name: 'package', include: ['test/package/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'fuzz', include: ['test/fuzz/**/*.test.ts'], isolate: false },
      },
      {
        extends: true,
        // Each test starts its own service on its own port, database folder or schema and queue prefix, and puts back
        // the environment it changes: the files share a process per worker, which saved 1.3 s of CPU a file.
        test: { name: 'service', include: ['test/service/**/*.test.ts'], isolate: false },
      },
    ],
  },
})
