/** What counting a text costs besides its characters (its scratch cleared, its buckets sorted), in characters. */
const charsPerText = 32

/**
 * Where blocks of about `charsPerBlock` characters of text end (each text counted up to `maxChars`, as the counting
 * reads it, plus a few for the work every text costs), and the work of all of them.
 */
export function textBlocks(
  texts: readonly string[],
  maxChars: number,
  charsPerBlock: number,
): { ends: number[]; work: number } {
  const ends: number[] = []
  let work = 0
  let inBlock = 0
  for (let row = 0; row < texts.length; row++) {
    const cost = Math.min(texts[row].length, maxChars) + charsPerText
    work += cost
    inBlock += cost
    if (inBlock >= charsPerBlock) {
      ends.push(row + 1)
      inBlock = 0
    }
  }
  if (inBlock > 0 || ends.length === 0) ends.push(texts.length)
  return { ends, work }
}
