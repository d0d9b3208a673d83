/** The vocabulary every layer shares: findings, kinds, severities and the scan report contract. */
export * from './findings.js'
export * from './report.js'
