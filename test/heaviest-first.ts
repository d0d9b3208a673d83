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
 * so about ten times a quiet run); only the order matters, so a stale number costs a little time, never a result.
 */
const measuredSeconds: Record<string, number> = {
  'test/quality/trigger-mining.test.ts': 399,
  'test/quality/zoo.test.ts': 365,
  'test/quality/near-duplicates.test.ts': 177,
  'test/detector-contract.test.ts': 175,
  'test/quality/models-scan-triggers.test.ts': 159,
  'test/quality/drift-calibration.test.ts': 156,
  'test/quality/outliers.test.ts': 144,
  'src/models/cross-validation.test.ts': 143,
  'test/quality/instructions-rag.test.ts': 120,
  'test/quality/targeted-flip.test.ts': 118,
  'test/service/review-app.test.ts': 110,
  'test/service/commands.test.ts': 104,
  'test/quality/clean-label.test.ts': 100,
  'test/quality/class-geometry.test.ts': 99,
  'test/quality/robust-dpa.test.ts': 92,
  'src/io/builtin/index.test.ts': 91,
  'test/attack-contract.test.ts': 88,
  'test/quality/drift-power.test.ts': 86,
  'test/quality/models-scan-triggers-text.test.ts': 83,
  'test/service/restart.test.ts': 78,
  'test/service/crash.test.ts': 76,
  'test/quality/robust-training.test.ts': 75,
  'test/package/core-browser.test.ts': 62,
  'src/features/text.test.ts': 61,
  'test/fuzz/mutants-text.test.ts': 58,
  'src/parallel/worker-pool.test.ts': 57,
  'test/package/installed-package.test.ts': 55,
  'src/attacks/backdoor-token/index.test.ts': 52,
  'test/service/load.test.ts': 48,
  'src/evaluation/bench.test.ts': 47,
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
