import { relative } from 'node:path'
import type { TestSpecification } from 'vitest/node'
import { BaseSequencer } from 'vitest/node'

/*
 * The order the suite's files start in. With two workers, a heavy file that starts last runs alone while the
 * other worker idles; started first, it overlaps with the many small files. Vitest's own order depends on its
 * results cache (absent on a fresh clone or in CI) and runs the projects one after another, so the heaviest
 * files of a late project start last. This order is fixed: the files below by their measured cost, then every
 * other file by path.
 */

/**
 * Seconds each of the 30 heaviest files took in one run of the whole suite on the shared 2-core machine (loaded,
 * so about four times a quiet run); only the order matters, so a stale number costs a little time, never a result.
 */
const measuredSeconds: Record<string, number> = {
  'test/quality/robust-training.test.ts': 161,
  'test/quality/class-geometry.test.ts': 101,
  'test/quality/drift-power.test.ts': 91,
  'test/fuzz/mutants-text.test.ts': 89,
  'test/quality/robust-dpa.test.ts': 77,
  'test/quality/models-scan-triggers-text.test.ts': 77,
  'test/quality/clean-label.test.ts': 75,
  'test/service/crash.test.ts': 73,
  'test/package/core-browser.test.ts': 69,
  'test/service/review-app.test.ts': 61,
  'test/cli/pipes.test.ts': 60,
  'test/package/installed-package.test.ts': 57,
  'test/quality/zoo.test.ts': 55,
  'test/quality/trigger-mining.test.ts': 53,
  'src/parallel/detector-executor.test.ts': 52,
  'test/package/report-browser.test.ts': 49,
  'test/cli/scan-workers.test.ts': 48,
  'test/cli/output-safety.test.ts': 47,
  'src/io/builtin/index.test.ts': 47,
  'src/linalg/knn.test.ts': 46,
  'test/quality/models-strip.test.ts': 45,
  'test/service/restart.test.ts': 45,
  'test/attack-contract.test.ts': 43,
  'test/quality/approximate-neighbours.test.ts': 42,
  'test/cli/damaged-inputs.test.ts': 41,
  'test/fuzz/mutants-binary.test.ts': 40,
  'test/service/intake.test.ts': 39,
  'src/attacks/backdoor-token/index.test.ts': 38,
  'test/cli/certify-cli.test.ts': 36,
  'test/service/sessions.test.ts': 35,
}

function weightOf(file: string): number {
  return measuredSeconds[file] ?? 0
}

/** Starts the measured heavy files first, heaviest first, and then the rest by path, the same on every run. */
export class HeaviestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root
    const keyed = files.map((spec) => ({ spec, file: relative(root, spec.moduleId) }))
    keyed.sort(
      (a, b) =>
        weightOf(b.file) - weightOf(a.file) ||
        (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
        (a.spec.project.name < b.spec.project.name ? -1 : 1),
    )
    return keyed.map(({ spec }) => spec)
  }
}
