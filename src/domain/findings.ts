/** Kinds of finding a detector can report; shared by every shell (JSON, HTML, SARIF, API). */
export type FindingKind =
  | 'label_issue'
  | 'backdoor'
  | 'trigger'
  | 'clean_label'
  | 'near_duplicate'
  | 'flood'
  | 'contradiction'
  | 'outlier'
  | 'drift'
  | 'schema'
  | 'injection'

export type Severity = 'low' | 'medium' | 'high'

export const severityOrder: readonly Severity[] = ['low', 'medium', 'high']

export interface Finding {
  detector: string
  kind: FindingKind
  /** This detector's suspicion of the record, in [0,1]; higher is more suspicious. */
  score: number
  explanation: string
  suggestedLabel?: string
}

/** Suspicion thresholds of the default operating point: flagged from `flagAbove`, medium and high severity above. */
export interface OperatingPoint {
  flagAbove: number
  mediumAbove: number
  highAbove: number
}
