/** The vocabulary every layer shares: findings, kinds, severities, requirements and the scan report contract. */
export * from './findings.js'
export * from './report.js'
export * from './requirements.js'
export * from './review.js'
