/**
 * What the views may show besides the JSON report: pictures and texts of records. The static report builds it
 * from the dataset in memory; a server can build it from its store. Every picture is a `data:` URL, so a page
 * under a strict Content Security Policy can show it without a request.
 */
export interface RecordEvidence {
  /** Width and height of image records, in pixels. */
  readonly imageShape?: { readonly width: number; readonly height: number }
  /** The image of one record, by row. */
  readonly thumbnail?: (row: number) => string | undefined
  /** The pixel-wise average of several records' images. */
  readonly averageImage?: (rows: Int32Array) => string | undefined
  /** The text of one record, by row. */
  readonly text?: (row: number) => string | undefined
}
