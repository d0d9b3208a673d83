import type { Command } from 'commander'
import { describeLineage } from '../provenance/describe.js'
import { generateKeyFiles } from '../provenance/keys.js'
import { traceLineage } from '../provenance/lineage.js'
import { exitCodeForVerification } from '../workflows/exit-codes.js'
import { exitCodesLine } from './exit-code-help.js'
import type { CliIo } from './io.js'
import { registerManifestCommand } from './manifest-command.js'

/** Registers `keygen`. */
export function registerKeygenCommand(program: Command, io: CliIo): void {
  program
    .command('keygen')
    .description('create an Ed25519 key pair for signing manifests')
    .requiredOption(
      '--out <prefix>',
      'writes <prefix>.pem (private, mode 0600) and <prefix>.pub.pem (public)',
    )
    .option('--force', 'replace an existing key pair')
    .addHelpText('after', '\nExample:\n  $ poisonguard keygen --out mykey')
    .action(async (flags: { out: string; force?: boolean }) => {
      const keys = await generateKeyFiles(flags.out, { overwrite: flags.force })
      io.stdout(
        `Wrote private key ${keys.privateKeyPath} (mode 0600; keep it secret) and public key ${keys.publicKeyPath}\nkey id: ${keys.keyId}\n`,
      )
    })
}

/** Registers `lineage`. */
export function registerLineageCommand(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  program
    .command('lineage')
    .description("show a manifest's chain of parent manifests and transforms, checking every link's digest")
    .argument('<manifest>', 'the newest manifest')
    .argument('[more...]', 'further manifests, or folders of them, where parents can be found by digest')
    .option('--pub <file>', "public key PEM to check every manifest's signature")
    .option('--json', 'print the lineage as JSON')
    .addHelpText(
      'after',
      `
Parents are found by the digest the child recorded, among the .json files beside the manifest and the extra
manifests and folders given; the paths a manifest records are never opened.

Examples:
  $ poisonguard lineage v3.manifest.json
  $ poisonguard lineage v3.manifest.json archive/v1.manifest.json --pub mykey.pub.pem
  $ poisonguard lineage v3.manifest.json archive/ --pub mykey.pub.pem

${exitCodesLine({ ok: 'every link verified', verificationFailed: 'a link or signature failed' })}`,
    )
    .action(async (manifest: string, more: string[], flags: { pub?: string; json?: boolean }) => {
      const lineage = await traceLineage(manifest, { candidates: more, publicKeyPath: flags.pub })
      io.stdout(flags.json ? `${JSON.stringify(lineage, null, 2)}\n` : describeLineage(lineage))
      if (!lineage.ok) io.stderr(`lineage verification failed: ${lineage.failures[0]}\n`)
      setExitCode(exitCodeForVerification(lineage.ok))
    })
}

/** Registers every provenance command: `keygen`, `manifest create|verify|diff` and `lineage`. */
export function registerProvenanceCommand(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  registerKeygenCommand(program, io)
  registerManifestCommand(program, io, setExitCode)
  registerLineageCommand(program, io, setExitCode)
}
