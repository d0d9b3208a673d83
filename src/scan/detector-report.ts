import type { DetectorName, InfoOf, ParamsOf, RegisteredDetectors } from '../detectors/registry.js'
import type { DetectorReport, ScanReport } from '../domain/index.js'

/** A report's entry for one detector, with `params` and `info` typed as that detector's schema and `run` make them. */
export interface TypedDetectorReport<Id extends DetectorName>
  extends Omit<DetectorReport, 'id' | 'params' | 'info'> {
  id: Id
  params: ParamsOf<RegisteredDetectors[Id]>
  /** Set when the detector ran (`status` 'ok'). */
  info?: InfoOf<RegisteredDetectors[Id]>
}

/**
 * The entry of detector `id` in a scan report, typed for that detector (`detectorReport(report, 'outliers')?.info`);
 * undefined when the scan did not select it. The report itself stays the plain JSON contract.
 */
export function detectorReport<Id extends DetectorName>(
  report: ScanReport,
  id: Id,
): TypedDetectorReport<Id> | undefined {
  return report.detectors.find((entry) => entry.id === id) as TypedDetectorReport<Id> | undefined
}
