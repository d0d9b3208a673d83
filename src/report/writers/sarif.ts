import { listDetectors } from '../../detectors/registry.js'
import type { RecordReport, ScanReport, Severity } from '../../domain/index.js'
import type { ReportWriter } from './types.js'

/** The rule of a flagged record without a finding of its own: only the fused suspicion put it over the line. */
const fusedRuleId = 'fused-suspicion'

const levelBySeverity: Record<Severity, 'note' | 'warning' | 'error'> = {
  low: 'note',
  medium: 'warning',
  high: 'error',
}

interface SarifRule {
  id: string
  name: string
  shortDescription: { text: string }
  properties: { kind?: string; status?: string }
}

/** One rule per detector the scan ran or skipped, described by the registry when the detector is registered. */
function describeRules(report: ScanReport): SarifRule[] {
  const registered = new Map(listDetectors().map((detector) => [detector.id, detector]))
  const rules: SarifRule[] = report.detectors.map(({ id, status }) => {
    const detector = registered.get(id)
    return {
      id,
      name: id,
      shortDescription: { text: detector?.summary ?? `poisonguard detector ${id}` },
      properties: { kind: detector?.kind, status },
    }
  })
  rules.push({
    id: fusedRuleId,
    name: fusedRuleId,
    shortDescription: { text: 'the fused suspicion of every detector is above the flag threshold' },
    properties: {},
  })
  return rules
}

/** Line of a record in its file, where one record is one line; other formats are located by record only. */
function recordLine(format: string, row: number): number | undefined {
  return format === 'jsonl' ? row + 1 : undefined
}

interface ResultContext {
  readonly uri: string
  readonly format: string
  readonly ruleIndex: ReadonlyMap<string, number>
}

function describeRecord(record: RecordReport, row: number, { uri, format, ruleIndex }: ResultContext) {
  const strongest = [...record.findings].sort((a, b) => b.score - a.score)[0]
  const ruleId = strongest?.detector ?? fusedRuleId
  const explanations = record.findings.map((finding) => `${finding.detector}: ${finding.explanation}`)
  const text = `record ${record.id} (row ${row + 1}) has suspicion ${record.suspicion.toFixed(3)}${
    explanations.length > 0 ? `: ${explanations.join('; ')}` : ''
  }`
  const line = recordLine(format, row)
  return {
    ruleId,
    ...(ruleIndex.has(ruleId) ? { ruleIndex: ruleIndex.get(ruleId) } : {}),
    level: levelBySeverity[record.severity ?? 'low'],
    message: { text },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri },
          ...(line === undefined ? {} : { region: { startLine: line } }),
        },
        logicalLocations: [{ name: record.id, fullyQualifiedName: `records[${row}]`, kind: 'element' }],
      },
    ],
    partialFingerprints: { recordId: record.id },
    properties: {
      suspicion: record.suspicion,
      kinds: [...new Set(record.findings.map((finding) => finding.kind))],
      ...(record.label === undefined ? {} : { label: record.label }),
      ...(record.source === undefined ? {} : { source: record.source }),
    },
  }
}

/**
 * SARIF 2.1.0 for code-scanning UIs: one result per flagged record, its rule the detector with the strongest
 * finding, its level the record's severity and its location the dataset file and the record.
 */
export const sarifWriter: ReportWriter<ScanReport> = {
  id: 'sarif',
  extension: '.sarif',
  render: (report) => {
    const rules = describeRules(report)
    const context: ResultContext = {
      uri: encodeURI(report.dataset.path.replaceAll('\\', '/')),
      format: report.dataset.format,
      ruleIndex: new Map(rules.map((rule, index) => [rule.id, index])),
    }
    const results = report.records.flatMap((record, row) =>
      record.flagged ? [describeRecord(record, row, context)] : [],
    )
    const log = {
      $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
      version: '2.1.0',
      runs: [
        {
          tool: {
            driver: {
              name: report.tool.name,
              version: report.tool.version,
              informationUri: 'https://www.npmjs.com/package/poisonguard',
              rules,
            },
          },
          artifacts: [
            {
              location: { uri: context.uri },
              hashes: { 'sha-256': report.dataset.sha256 },
            },
          ],
          invocations: [{ executionSuccessful: true, endTimeUtc: report.createdAt }],
          results,
        },
      ],
    }
    return `${JSON.stringify(log, null, 1)}\n`
  },
}
