import { relative } from 'node:path'
import type { TestSpecification } from 'vitest/node'
import { BaseSequencer } from 'vitest/node'

/*
 * The order the suite's files start in. With two workers, a heavy file that starts last runs alone while the
 * other worker idles; started first, it overlaps with the many small files. Vitest's own order depends on its
 * results cache (absent on a fresh clone or in CI) and runs the projects one after another, so the heaviest
 * files of a late project start last. This order is fixed: project by project, the project holding the heaviest
 * file first, and within one the files below by their measured cost, then every other file by path.
 *
 * A worker that shares its process between files (`isolate: false`) keeps it only while the next file waiting is
 * of the same project; any other file stops it, and the next file of its project starts a process and loads the
 * sources again. Files ordered by cost alone switched project 22 times.
 */

/**
 * Seconds each heavy file took in one run of the whole suite on a 2-core machine (with two workers a file's wall
 * time is about its CPU time): the quality project's from a run of 582 s, the other projects' from an earlier run
 * of 241 s, kept as they were so that the projects start in the same order (the many small unit files last, where
 * they fill the other worker's idle time). Only the order matters, so a stale number costs a little time, never a
 * result; the other files weigh 0.
 */
const measuredSeconds: Record<string, number> = {
  'test/quality/zoo.test.ts': 89.1,
  'test/quality/unseen-shapes.test.ts': 63.6,
  'test/quality/trigger-mining-small-patches.test.ts': 48.4,
  'test/quality/trigger-mining.test.ts': 47.7,
  'test/quality/near-duplicates.test.ts': 42.2,
  'test/quality/models-scan-triggers.test.ts': 40.6,
  'test/quality/label-flips.test.ts': 30.1,
  'test/quality/trigger-mining-tabular.test.ts': 25.9,
  'test/quality/clean-label.test.ts': 24.9,
  'test/quality/drift-calibration.test.ts': 21.2,
  'test/quality/flood-verdict.test.ts': 19.9,
  'test/quality/repeated-rows.test.ts': 17.5,
  'test/quality/robust-training.test.ts': 17.2,
  'test/quality/robust-dpa.test.ts': 16.1,
  'test/quality/clean-label-unseen.test.ts': 15.1,
  'test/quality/two-class-modes.test.ts': 14.1,
  'test/quality/class-geometry.test.ts': 13.9,
  'test/quality/outliers.test.ts': 13.4,
  'test/quality/instructions-rag.test.ts': 13.2,
  'test/quality/models-scan-triggers-text.test.ts': 12.6,
  'test/quality/availability-noise.test.ts': 11.7,
  'test/quality/drift-power.test.ts': 10.3,
  'test/quality/targeted-flip.test.ts': 9.8,
  'test/service/review-app.test.ts': 10.8,
  'test/fuzz/mutants-binary.test.ts': 8.7,
  'test/service/crash.test.ts': 7.6,
  'test/cli/scan-workers.test.ts': 7.0,
  'test/package/installed-package.test.ts': 6.1,
}

function weightOf(file: string): number {
  return measuredSeconds[file] ?? 0
}

/**
 * Runs the projects one after another, the one with the heaviest measured file first (those without one by name),
 * and within each its measured heavy files first, heaviest first, then the rest by path; the same on every run.
 */
export class HeaviestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root
    const keyed = files.map((spec) => {
      const file = relative(root, spec.moduleId)
      return { spec, file, project: spec.project.name, weight: weightOf(file) }
    })
    const projectWeight = new Map<string, number>()
    for (const { project, weight } of keyed)
      projectWeight.set(project, Math.max(weight, projectWeight.get(project) ?? 0))
    const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
    keyed.sort(
      (a, b) =>
        projectWeight.get(b.project)! - projectWeight.get(a.project)! ||
        byName(a.project, b.project) ||
        b.weight - a.weight ||
        byName(a.file, b.file),
    )
    return keyed.map(({ spec }) => spec)
  }
}
