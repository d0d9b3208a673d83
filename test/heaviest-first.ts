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
 * Seconds each of the 20 heaviest files took in one run of the whole suite on a quiet 2-core machine (241 s in all;
 * with two workers a file's wall time is about its CPU time), those made cheaper since scaled by their measured
 * saving (CPU, or wall for the fuzz file that waited on the file system). Only the order matters, so a stale number
 * costs a little time, never a result; the other files weigh 0.
 */
const measuredSeconds: Record<string, number> = {
  'test/quality/zoo.test.ts': 42.1,
  'test/quality/trigger-mining.test.ts': 28.0,
  'test/quality/clean-label.test.ts': 22.2,
  'test/quality/models-scan-triggers.test.ts': 19.5,
  'test/quality/near-duplicates.test.ts': 14.6,
  'test/quality/drift-calibration.test.ts': 11.1,
  'test/quality/robust-training.test.ts': 10.9,
  'test/service/review-app.test.ts': 10.8,
  'test/fuzz/mutants-binary.test.ts': 8.7,
  'test/quality/outliers.test.ts': 8.6,
  'test/quality/targeted-flip.test.ts': 8.4,
  'test/quality/instructions-rag.test.ts': 8.1,
  'test/service/crash.test.ts': 7.6,
  'test/quality/models-scan-triggers-text.test.ts': 7.5,
  'test/cli/scan-workers.test.ts': 7.0,
  'test/quality/class-geometry.test.ts': 6.7,
  'test/quality/drift-power.test.ts': 6.4,
  'test/package/installed-package.test.ts': 6.1,
  'test/quality/robust-dpa.test.ts': 5.7,
  'test/quality/label-flips.test.ts': 3.5,
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
