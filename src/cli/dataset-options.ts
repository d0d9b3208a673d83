import { type Command, Option } from 'commander'
import type { Dataset } from '../data/dataset.js'
import { type LoadOptions, loadDataset } from '../io/index.js'
import { parseList, parsePositiveInteger } from './options.js'

/** The dataset-reading flags every command shares, passed on to `loadDataset` as they are. */
export type DatasetFlags = Pick<
  LoadOptions,
  | 'format'
  | 'id'
  | 'label'
  | 'text'
  | 'source'
  | 'features'
  | 'embeddings'
  | 'imageSize'
  | 'maxColumns'
  | 'kind'
  | 'queries'
>

/**
 * Adds the dataset-reading flags; commands that never use embeddings leave `--embeddings` out, and only those that
 * read fine-tuning pairs and retrieval corpora add `--kind` and `--queries`.
 */
export function addDatasetOptions(command: Command, { embeddings = true, content = false } = {}): Command {
  command
    .addOption(
      new Option('--format <format>', 'input format (default: from the extension)').choices([
        'csv',
        'jsonl',
        'parquet',
        'images',
      ]),
    )
    .option('--id <column>', 'column with record ids (default: "id", else the row number)')
    .option('--label <column>', 'column with class labels (default: "label")')
    .option('--text <column>', 'column with free text (default: "text")')
    .option('--source <column>', 'column naming who or where a record came from (default: "source")')
    .option(
      '--features <columns>',
      'comma-separated numeric feature columns (default: every other numeric column)',
      parseList,
    )
  if (embeddings) {
    command.option(
      '--embeddings <file.npy>',
      'float32 NumPy embeddings, one row per record, used as features',
    )
  }
  if (content) {
    command
      .addOption(
        new Option(
          '--kind <kind>',
          'what the records are: fine-tuning pairs or a retrieval corpus (default: detected, else a table)',
        ).choices(['instructions', 'corpus']),
      )
      .option(
        '--queries <file.jsonl>',
        'questions the retrieval corpus should answer, one {"query": …} per line',
      )
  }
  return command
    .option('--image-size <pixels>', 'side to which images are resized', parsePositiveInteger)
    .option(
      '--max-columns <n>',
      'refuse inputs with more columns than this (default: 4096 JSON Lines keys, 262144 declared by a CSV header or Parquet schema)',
      parsePositiveInteger,
    )
}

/** The load options the shared flags stand for. */
export function loadOptions(flags: DatasetFlags): LoadOptions {
  const { format, id, label, text, source, features, embeddings, imageSize, maxColumns, kind, queries } =
    flags
  return { format, id, label, text, source, features, embeddings, imageSize, maxColumns, kind, queries }
}

/** Loads a dataset with the shared flags. */
export function loadWithFlags(path: string, flags: DatasetFlags): Promise<Dataset> {
  return loadDataset(path, loadOptions(flags))
}
