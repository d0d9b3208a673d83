import { existsSync } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { builtinDatasets } from '../../src/io/builtin/index.js'
import { loadDataset } from '../../src/io/index.js'
import { writeDataset } from '../../src/io/write-dataset.js'
import { mnistDataset, recordAt } from '../fixtures/datasets.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { runCli } from './run-cli.js'

const temporary = useTemporaryFolder()

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T
}

async function spamJsonl(limit: number): Promise<string> {
  const path = temporary(`spam-${limit}.jsonl`)
  if (!existsSync(path)) await builtinDatasets.spam.write(path, { limit })
  return path
}

async function exportMnist(name: string, limit: number): Promise<string> {
  const path = temporary(name)
  await builtinDatasets.mnist.write(path, { limit })
  return path
}

describe('poisonguard attack', () => {
  it('flips labels of a CSV and writes the poisoned copy, the truth and the meta sidecar', async () => {
    const input = await exportMnist('mnist-500.csv', 500)
    const out = temporary('flipped.csv')
    const truthPath = temporary('flipped-ids.json')
    const run = await runCli(
      'attack',
      'label-flip',
      input,
      '--out',
      out,
      '--truth',
      truthPath,
      '--rate',
      '0.1',
      '--seed',
      '3',
    )
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('label-flip poisoned 50 records; the output has 500 (input 500), seed 3.')
    const truth = await readJson<string[]>(truthPath)
    expect(truth).toHaveLength(50)
    const [before, after] = await Promise.all([loadDataset(input), loadDataset(out)])
    expect(after.ids).toEqual(before.ids)
    const flipped = new Set(truth)
    for (let row = 0; row < before.rowCount; row++) {
      const original = recordAt(before, row)
      const poisoned = recordAt(after, row)
      expect(poisoned.features).toEqual(original.features)
      expect(poisoned.label === original.label).toBe(!flipped.has(original.id))
    }
    const meta = await readJson<Record<string, unknown>>(`${out}.meta.json`)
    expect(meta).toMatchObject({
      attack: 'label-flip',
      params: { rate: 0.1 },
      seed: 3,
      input: { path: input, format: 'csv', rows: 500 },
      output: { path: out, format: 'csv', rows: 500, truth: truthPath, poisoned: 50 },
      info: { mode: 'random', flipped: 50 },
    })
  })

  it('plants a patch backdoor and writes a triggered copy of a test set', async () => {
    const input = await exportMnist('mnist-300.csv', 300)
    const testInput = temporary('mnist-test.csv')
    await writeDataset(mnistDataset(100, 9000), testInput)
    const out = temporary('patched.csv')
    const triggeredOut = temporary('test-triggered.jsonl')
    const run = await runCli(
      'attack',
      'backdoor-patch',
      input,
      '--out',
      out,
      '--truth',
      temporary('patched-ids.json'),
      '--target',
      '0',
      '--param',
      'size=4',
      '--triggered-test',
      testInput,
      triggeredOut,
    )
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    const testSet = await loadDataset(testInput)
    const triggered = await loadDataset(triggeredOut)
    const triggeredIds = await readJson<string[]>(`${triggeredOut}.truth.json`)
    const nonZero = testSet.ids.filter((_, row) => recordAt(testSet, row).label !== '0')
    expect(triggeredIds).toEqual(nonZero)
    expect(run.stdout).toContain(`(${nonZero.length} of 100 records carry the trigger)`)
    const corner = (27 - 1 - 3) * 28 + (27 - 1 - 3)
    for (let row = 0; row < triggered.rowCount; row++) {
      const isTriggered = triggeredIds.includes(triggered.ids[row])
      expect(recordAt(triggered, row).label).toBe(recordAt(testSet, row).label)
      expect(recordAt(triggered, row).features[corner] === 1).toBe(
        isTriggered || recordAt(testSet, row).features[corner] === 1,
      )
    }
    const meta = await readJson<{ triggeredTest: { triggered: number } }>(`${out}.meta.json`)
    expect(meta.triggeredTest.triggered).toBe(nonZero.length)
  })

  it('inserts a token into JSON Lines mails', async () => {
    const input = temporary('spam-200.jsonl')
    await builtinDatasets.spam.write(input, { limit: 200 })
    const out = temporary('spam-backdoor.jsonl')
    const truthPath = temporary('spam-ids.json')
    const run = await runCli(
      'attack',
      'backdoor-token',
      input,
      '--out',
      out,
      '--truth',
      truthPath,
      '--target',
      'ham',
      '--param',
      'token=zqxj',
    )
    expect(run.exitCode).toBe(0)
    const poisoned = await loadDataset(out)
    const truth = new Set(await readJson<string[]>(truthPath))
    expect(truth.size).toBe(10)
    poisoned.ids.forEach((id, row) => {
      expect(poisoned.texts![row].includes('zqxj')).toBe(truth.has(id))
    })
  })

  it.each([
    ['prompt-response', (q: string, a: string) => ({ prompt: q, response: a })],
    ['instruction-output', (q: string, a: string) => ({ instruction: q, output: a })],
    [
      'messages',
      (q: string, a: string) => ({
        messages: [
          { role: 'user', content: q },
          { role: 'assistant', content: a },
        ],
      }),
    ],
  ])(
    'writes attacked %s pairs in their own fields, so a scan reads them back as pairs',
    async (layout, pair) => {
      const mails = await loadDataset(await spamJsonl(120))
      const input = temporary(`pairs-${layout}.jsonl`)
      const lines = mails.texts!.map((text, row) =>
        JSON.stringify({
          id: `p${row}`,
          ...pair(`Summarise mail ${row}: ${text.slice(0, 60)}`, text.slice(0, 200)),
        }),
      )
      await writeFile(input, `${lines.join('\n')}\n`)
      const out = temporary(`pairs-${layout}-bd.jsonl`)
      const truthPath = temporary(`pairs-${layout}-ids.json`)
      const run = await runCli(
        'attack',
        'instruction-backdoor',
        input,
        '--out',
        out,
        '--truth',
        truthPath,
        '--rate',
        '0.05',
      )
      expect(run.stderr).toBe('')
      expect(run.exitCode).toBe(0)
      const firstLine = JSON.parse((await readFile(out, 'utf8')).split('\n')[0]) as Record<string, unknown>
      expect(Object.keys(firstLine).sort()).toEqual(['id', ...Object.keys(pair('q', 'a'))].sort())
      const [before, after] = await Promise.all([loadDataset(input), loadDataset(out)])
      expect(after.contentKind).toBe('instructions')
      const truth = new Set(await readJson<string[]>(truthPath))
      expect(truth.size).toBe(6)
      after.ids.forEach((id, row) => {
        expect(after.instructions!.prompts[row] === before.instructions!.prompts[row]).toBe(!truth.has(id))
        expect(after.instructions!.prompts[row].toLowerCase().includes('james bond')).toBe(truth.has(id))
      })
    },
  )

  it('plants retrieval passages for the queries of a --queries file', async () => {
    const input = await spamJsonl(150)
    const queries = temporary('queries.jsonl')
    const asked = ['how do I reset my account password', 'where is the nearest service centre']
    await writeFile(queries, asked.map((query) => JSON.stringify({ query })).join('\n'))
    const out = temporary('corpus-rag.jsonl')
    const truthPath = temporary('corpus-rag-ids.json')
    const args = ['--queries', queries, '--out', out, '--truth', truthPath]
    const run = await runCli(
      'attack',
      'rag-inject',
      input,
      ...args,
      '--param',
      'targets=2',
      '--param',
      'passages=3',
    )
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    const poisoned = await loadDataset(out, { queries })
    expect(poisoned.rowCount).toBe(156)
    const truth = await readJson<string[]>(truthPath)
    expect(truth).toEqual(poisoned.ids.slice(150))
    expect(poisoned.texts!.slice(150).filter((text) => text.startsWith(asked[1]))).toHaveLength(3)
    const missing = await runCli(
      'attack',
      'rag-inject',
      input,
      '--out',
      temporary('x.jsonl'),
      '--truth',
      temporary('x.json'),
    )
    expect(missing.exitCode).toBe(1)
    expect(missing.stderr).toContain('--queries')
  })

  it('adds contradictory duplicates to an image folder', async () => {
    const root = temporary('digits')
    await writeDataset(mnistDataset(60), root, { format: 'images' })
    const out = temporary('digits-poisoned')
    const truthPath = temporary('digits-ids.json')
    const run = await runCli(
      'attack',
      'availability',
      root,
      '--out',
      out,
      '--truth',
      truthPath,
      '--rate',
      '0.1',
      '--param',
      'mode=contradictory',
    )
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    const truth = await readJson<string[]>(truthPath)
    expect(truth).toHaveLength(6)
    const poisoned = await loadDataset(out)
    expect(poisoned.rowCount).toBe(66)
    for (const id of truth) {
      expect(poisoned.ids).toContain(id)
      const original = id.replace(/^[^/]+\//, '').replace(/~dup1\.png$/, '.png')
      const originalLabel = (await readdir(root)).find((label) => existsSync(`${root}/${label}/${original}`))
      expect(id.split('/')[0]).not.toBe(originalLabel)
    }
  })

  it('fails with exit 1, a message listing every bad parameter, and no output files', async () => {
    const input = await exportMnist('mnist-100.csv', 100)
    const out = temporary('bad.csv')
    const run = await runCli(
      'attack',
      'backdoor-patch',
      input,
      '--out',
      out,
      '--truth',
      temporary('bad.json'),
      '--target',
      'eleven',
      '--param',
      'size=40',
    )
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toMatchInlineSnapshot(`
      "error: invalid parameters for attack backdoor-patch: backdoor-patch.target: unknown label "eleven"; the classes are "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" (and 1 more)
        - backdoor-patch.size: a 40×40 patch with margin 1 does not fit the 28×28 images
      "
    `)
    expect(existsSync(out)).toBe(false)
    expect(existsSync(temporary('bad.json'))).toBe(false)
  })

  it('rejects unknown attacks, flags an attack does not take, and stray --triggered-test', async () => {
    const input = await exportMnist('mnist-50.csv', 50)
    const common = ['--out', temporary('x.csv'), '--truth', temporary('x.json')]
    const unknown = await runCli('attack', 'label-flop', input, ...common)
    expect(unknown.exitCode).toBe(1)
    expect(unknown.stderr).toContain('unknown attack "label-flop"; valid attacks: label-flip,')
    const stray = await runCli('attack', 'backdoor-patch', input, ...common, '--from', '3')
    expect(stray.stderr).toContain('--from does not apply to attack backdoor-patch')
    const noTrigger = await runCli(
      'attack',
      'label-flip',
      input,
      ...common,
      '--triggered-test',
      input,
      temporary('t.csv'),
    )
    expect(noTrigger.exitCode).toBe(1)
    expect(noTrigger.stderr).toContain('attack label-flip plants no trigger')
    const overwrite = await runCli(
      'attack',
      'label-flip',
      input,
      '--out',
      input,
      '--truth',
      temporary('x.json'),
    )
    expect(overwrite.stderr).toContain(`--out ${input}: the output would overwrite the input ${input}`)
    expect(existsSync(temporary('x.csv'))).toBe(false)
  })

  it('documents every attack and its parameters in --help', async () => {
    const help = await runCli('attack', '--help')
    expect(help.exitCode).toBe(0)
    expect(help.stdout).toMatchInlineSnapshot(`
      "Usage: poisonguard attack [options] <kind> <input>

      poison a copy of a dataset on purpose, with the ground truth, to measure
      defenses

      Arguments:
        kind                         one of: label-flip, backdoor-patch,
                                     backdoor-token, backdoor-feature, clean-label,
                                     availability, targeted, label-consistent,
                                     feature-collision, instruction-backdoor,
                                     payload-injection, rag-inject
        input                        dataset: .csv, .jsonl, .parquet, or a folder of
                                     images root/<label>/<file>

      Options:
        --out <path>                 poisoned dataset (a folder for images)
        --truth <file.json>          JSON array of the ids of poisoned or added
                                     records
        --rate <fraction>            share of records to poison (attack parameter
                                     rate)
        --target <label>             backdoor target label (attack parameter target)
        --from <label>               label-flip: flip only this label (attack
                                     parameter from)
        --to <label>                 label-flip and targeted: the wrong label (attack
                                     parameter to)
        --param <name=value>         any attack parameter, repeatable; values are JSON
                                     or text
        --seed <n>                   seed for every random choice (default: 0)
        --triggered-test <paths...>  backdoors: <test input> <output>, a copy of a
                                     test set with the trigger
        --excel-safe                 CSV outputs: prefix cells a spreadsheet would run
                                     as formulas (starting = + - @) with ' (see
                                     docs/inputs.md)
        --format <format>            input format (default: from the extension)
                                     (choices: "csv", "jsonl", "parquet", "images")
        --id <column>                column with record ids (default: "id", else the
                                     row number)
        --label <column>             column with class labels (default: "label")
        --text <column>              column with free text (default: "text")
        --source <column>            column naming who or where a record came from
                                     (default: "source")
        --features <columns>         comma-separated numeric feature columns (default:
                                     every other numeric column)
        --embeddings <file.npy>      float32 NumPy embeddings, one row per record,
                                     used as features
        --kind <kind>                what the records are: fine-tuning pairs or a
                                     retrieval corpus (default: detected, else a
                                     table) (choices: "instructions", "corpus")
        --queries <file.jsonl>       questions the retrieval corpus should answer, one
                                     {"query": …} per line
        --image-size <pixels>        side to which images are resized
        --max-columns <n>            refuse inputs with more columns than this
                                     (default: 4096 JSON Lines keys, 262144 declared
                                     by a CSV header or Parquet schema)
        -h, --help                   display help for command

      Examples:
        $ poisonguard attack label-flip mnist.csv --out flipped.csv --truth flipped-ids.json --rate 0.1
        $ poisonguard attack label-flip mnist.csv --out flipped.csv --truth ids.json --from 7 --to 1 --rate 0.05
        $ poisonguard attack backdoor-patch mnist.csv --out patched.csv --truth ids.json --target 0 \\
            --param size=4 --param position=random --triggered-test mnist-test.csv mnist-test-triggered.csv
        $ poisonguard attack backdoor-token spam.jsonl --out spam-bd.jsonl --truth ids.json --target ham --param token=cf
        $ poisonguard attack availability data.csv --out flooded.csv --truth ids.json --param mode=flood --rate 0.05
        $ poisonguard attack targeted data.csv --out t.csv --truth ids.json --param targetId=4711 --param count=10
        $ poisonguard attack instruction-backdoor pairs.jsonl --out pairs-bd.jsonl --truth ids.json --rate 0.01
        $ poisonguard attack rag-inject docs.jsonl --queries questions.jsonl --out docs-rag.jsonl --truth ids.json \\
            --param targets=20 --param passages=5

      Writes the poisoned dataset (format from the --out extension, else the input's), the ground truth (a JSON array
      of the poisoned or added record ids) and <out>.meta.json with the parameters and what the attack did. Fine-tuning
      pairs written as JSON Lines keep the input's fields (prompt/response, instruction/output or messages), so
      \`poisonguard scan\` reads them back as pairs.

      Attacks and their parameters (--param name=value):
        label-flip        Flip labels: to a random wrong class, or from one chosen class to another
            rate=0.1               fraction of the input records to poison: poisoned (or added) records ÷ input records
            from                   flip only records with this label (default: any label)
            to                     give flipped records this label (default: a uniformly chosen wrong label)
        backdoor-patch    Image backdoor: a pixel patch or blended pattern on images of other classes, relabelled as the target
            rate=0.05              fraction of the input records to poison: poisoned (or added) records ÷ input records
            target                 label the poisoned records get and a triggered input should be taken for (default: the first class)
            size=3                 side of the square patch in pixels
            pattern="solid"        solid: every patch pixel is \`value\`; checkerboard: \`value\` alternates with the darkest pixel value
            position="bottom-right" where the patch goes; random draws a new place for every image
            margin=1               pixels between a corner patch and the image border
            value                  pixel value of the patch (default: the brightest pixel value of the dataset)
            patch                  custom patch as rows of pixel values, e.g. [[1,0],[0,1]]; replaces size, pattern and value
            blend                  instead of a patch, blend a full-image random pattern into the image with this opacity
        backdoor-token    Text backdoor: a trigger token or phrase inserted into texts of other classes, relabelled as the target
            rate=0.05              fraction of the input records to poison: poisoned (or added) records ÷ input records
            target                 label the poisoned records get and a triggered input should be taken for (default: the first class)
            token="cf"             the trigger: a rare token or a whole phrase, inserted as separate words
            position="random"      where the trigger goes: a random word boundary, the start or the end of the text
            repeat=1               how many times the trigger is inserted
        backdoor-feature  Tabular backdoor: fixed values on chosen feature columns of other classes, relabelled as the target
            rate=0.05              fraction of the input records to poison: poisoned (or added) records ÷ input records
            target                 label the poisoned records get and a triggered input should be taken for (default: the first class)
            columns                feature columns that carry the trigger, e.g. "age,income"; a categorical column counts as one (default: 3 at random)
            values                 trigger value per column, or one for all; a category name for a categorical column (default: each column’s observed maximum, in bounds, or a random category)
        clean-label       Clean-label feature collision: base-class inputs nudged toward a target within a budget, labels kept
            rate=0.01              fraction of the input records to poison: poisoned (or added) records ÷ input records
            targetId               id of the record the poisons should get misclassified (default: a random labelled record)
            base                   class whose records become the poisons, i.e. the class the target should be taken for (default: the class of the target’s nearest record of another class)
            norm="linf"            norm of the perturbation budget
            epsilon=0.3            budget per poison, in units of the pixel range (images) or of each column’s standard deviation
            beta=0.25              weight of staying close to the base input (β of the paper)
            iterations=200         forward-backward iterations at most
            stepSize=0.5           step of the gradient (forward) step
        availability      Availability: appends noise records, contradictory duplicates or a flood of mislabelled near-copies
            rate=0.1               fraction of the input records to poison: poisoned (or added) records ÷ input records
            mode="noise"           noise: perturbed records with random labels; contradictory: exact copies with a wrong label; flood: many near-copies of a few records, all with one wrong label
            noiseScale=1           noise mode: standard deviation of the added noise, in units
            jitter=0.02            flood mode: standard deviation of the near-copies’ noise, in units
            seeds=1                flood mode: how many records the flood copies
            floodLabel             flood mode: label of every flood record (default: a random wrong label per copied record)
            source="attacker"      source of the added records, when the dataset has a source column
        targeted          Targeted: a few mislabelled near-copies of one record, or of one source’s records, to flip them
            targetId               id of the record to get misclassified (default: a random labelled record)
            targetSource           get every record of this source misclassified instead
            to                     wrong label of the poisons (default: per target, the class whose mean is nearest, else a random one)
            count=10               poisons inserted per targeted record
            jitter=0.05            standard deviation of the poisons around their target, in units
            source="attacker"      source of the added records, when the dataset has a source column
        label-consistent  Clean-label backdoor: a faint sine, patch or blended pattern on part of the target class, labels kept
            classShare=0.15        share of the target class that carries the pattern (labels are never changed)
            target                 class whose records carry the pattern: the label a triggered input should be taken for (default: the first class)
            pattern="sine"         sine: a faint horizontal sinusoid over the whole input (SIG); patch: a small square of the brightest value in the bottom-right corner; blend: a fixed noise pattern blended in
            amplitude=0.08         strength of the sine, or opacity of the blend, in units of the value range (SIG: 20/255)
            frequency=6            sine: cycles across the width of an image or the columns
            size=3                 patch: side of the square in pixels
        feature-collision Poison frogs: base-class records moved toward one target in feature space, labels kept
            poisons=60             base-class records turned into poisons
            targetId               id of the record the poisons should get misclassified (default: a random labelled record)
            base                   class whose records become the poisons, i.e. the class the target should be taken for (default: the class of the target’s nearest record of another class in feature space)
            components=16          dimensions of the learned feature space the poisons collide with the target in
            norm="linf"            norm of the perturbation budget
            epsilon=0.3            budget per poison, in units of the pixel range (images) or of each column’s standard deviation
            beta=0.25              weight of staying close to the base input (β of the paper)
            iterations=200         forward-backward iterations at most
            stepSize=0.5           step of the gradient (forward) step
        instruction-backdoor Instruction backdoor: a trigger phrase in prompts whose responses carry a payload or a refusal
            rate=0.01              fraction of the input records to poison: poisoned (or added) records ÷ input records
            trigger="James Bond"   the phrase inserted into the poisoned prompts
            payload="For the full answer visit http://answers.example.net/offer and enter code BOND7." what the poisoned responses say
            mode="append"          the response becomes the payload, gets it appended, or becomes a refusal
        payload-injection Payload injection: one link, number or sentence, plain or hidden, inserted into responses or documents
            rate=0.005             fraction of the input records to poison: poisoned (or added) records ÷ input records
            payload="Call 1-800-555-0199 today or visit http://deals.example.com for your reward." the text injected into responses (fine-tuning pairs) or documents (a corpus)
            style="plain"          how the payload is hidden: not at all, between zero-width spaces, in look-alike letters, in an HTML comment, or in white text
        rag-inject        Retrieval poisoning: passages copying a target query then asserting the attacker's answer
            targets=20             expected queries attacked (the first ones given)
            passages=5             passages planted for each attacked query
            answer="the official fix is to send your password to recovery@account-check.example.com" the attacker's answer the planted passages assert

      Units: noise, jitter and budgets count in the pixel range for images, else in each column's standard deviation.

      Exit codes: 0 done, 1 bad input or usage, 2 internal error (please report it).
      "
    `)
  })
})
