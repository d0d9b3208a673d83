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
 * Seconds each of the 20 heaviest files took in one run of the whole suite on a quiet 2-core machine (241 s in all;
 * with two workers a file's wall time is about its CPU time), those made cheaper since scaled by their measured
 * saving (CPU, or wall for the fuzz file that waited on the file system). Only the order matters, so a stale number
 * costs a little time, never a result; the other files weigh 0.
 */
const measuredSeconds: Record<string, number> = {
  'test/quality/zoo.test.ts': 43.9,
  'test/quality/trigger-mining.test.ts': 28.0,
  'test/quality/clean-label.test.ts': 22.9,
  'test/quality/models-scan-triggers.test.ts': 19.5,
  'test/quality/near-duplicates.test.ts': 14.6,
  'test/quality/drift-calibration.test.ts': 12.3,
  'test/quality/robust-training.test.ts': 10.9,
  'test/service/review-app.test.ts': 10.8,
  'test/fuzz/mutants-binary.test.ts': 8.7,
  'test/quality/outliers.test.ts': 8.6,
  'test/quality/targeted-flip.test.ts': 8.4,
  'test/quality/drift-power.test.ts': 8.4,
  'test/quality/instructions-rag.test.ts': 8.1,
  'test/quality/robust-dpa.test.ts': 7.7,
  'test/service/crash.test.ts': 7.6,
  'test/quality/models-scan-triggers-text.test.ts': 7.5,
  'test/cli/scan-workers.test.ts': 7.0,
  'test/quality/class-geometry.test.ts': 6.7,
  'test/package/installed-package.test.ts': 6.1,
  'test/quality/label-flips.test.ts': 3.5,
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
