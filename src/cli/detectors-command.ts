import type { Command } from 'commander'
import { listDetectors } from '../detectors/registry.js'
import { describeParams } from '../util/params.js'
import type { CliIo } from './io.js'

export function registerDetectorsCommand(program: Command, io: CliIo): void {
  program
    .command('detectors')
    .description('list the detectors, what each finds and what it needs')
    .addHelpText(
      'after',
      '\nExample:\n  $ poisonguard detectors\n  $ poisonguard scan data.csv --param knn-label-consistency.k=20',
    )
    .action(() => {
      for (const detector of listDetectors()) {
        io.stdout(
          `${detector.id}  (${detector.kind})\n    ${detector.summary}\n    needs: ${detector.requires.join(', ')}\n`,
        )
        const params = describeParams(detector.params).map(
          ({ name, defaultValue, description }) =>
            `      ${defaultValue === undefined ? name : `${name}=${defaultValue}`}${description ? `  ${description}` : ''}`,
        )
        if (params.length > 0) io.stdout(`    params:\n${params.join('\n')}\n`)
      }
    })
}
