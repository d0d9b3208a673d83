/** Ways a text hides or aims content at an assistant; each is counted per record and judged by its prevalence. */
export const markerNames = [
  'zero-width',
  'homoglyph',
  'html-comment',
  'hidden-markup',
  'assistant-instruction',
] as const

export type MarkerName = (typeof markerNames)[number]

/** Zero-width and direction-control characters; a byte order mark counts only inside a text. */
const invisible = /[\u200b-\u200f\u2060-\u2064\u202a-\u202e\u2066-\u2069]|(?<!^)\ufeff/u

/** A word mixing Latin letters with Cyrillic or Greek ones, the usual homoglyph swap. */
const mixedScript =
  /(?=[\p{L}]*\p{Script=Latin})(?=[\p{L}]*[\p{Script=Cyrillic}\p{Script=Greek}])[\p{L}]{2,}/u

const htmlComment = /<!--[\s\S]*?-->/

/** Markup that renders text invisible: white or transparent colour, no display, zero size or opacity. */
const hiddenMarkup =
  /(color\s*[:=]\s*["']?\s*(#fff\b|#ffffff\b|white\b|transparent\b)|display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(\.0+)?(px|pt|em|rem|%)?\s*[;"']|opacity\s*:\s*0(\.0+)?\s*[;"'])/i

/** Text that addresses a model rather than a reader: overriding its instructions, or telling it what to say. */
const assistantInstruction =
  /\b(ignore|disregard|forget)\s+(all\s+|any\s+)?(the\s+|your\s+)?(previous|prior|above|earlier|preceding)\s+(instructions|prompts?|directions|context)\b|\b(you are now|from now on,? you|as an ai (language )?model,? you must)\b|\b(system prompt|developer mode)\b|\b(do not|don't|never) (tell|reveal|mention)( this)? to the user\b|\b(respond|answer|reply) only with\b|\b(ai|assistant|chatbot|language model)s?,? (must|should) (always )?(say|answer|respond|recommend|tell)\b/i

const patterns: Record<MarkerName, RegExp> = {
  'zero-width': invisible,
  homoglyph: mixedScript,
  'html-comment': htmlComment,
  'hidden-markup': hiddenMarkup,
  'assistant-instruction': assistantInstruction,
}

/** Only the start of a long text is read, so a giant document does not dominate run time. */
const maxChars = 20_000

/** Per marker, 1 where the record's text carries it; one typed array per marker, records in input order. */
export function findMarkers(texts: readonly string[]): Record<MarkerName, Uint8Array> {
  const found = Object.fromEntries(markerNames.map((name) => [name, new Uint8Array(texts.length)])) as Record<
    MarkerName,
    Uint8Array
  >
  texts.forEach((text, row) => {
    const head = text.length > maxChars ? text.slice(0, maxChars) : text
    for (const name of markerNames) if (patterns[name].test(head)) found[name][row] = 1
  })
  return found
}

/** What each marker means, for explanations. */
export const markerDescriptions: Record<MarkerName, string> = {
  'zero-width': 'zero-width or direction-control characters',
  homoglyph: 'a word mixing Latin with Cyrillic or Greek look-alike letters',
  'html-comment': 'an HTML comment, which a reader never sees',
  'hidden-markup': 'markup that renders text invisible (white, zero-size or undisplayed)',
  'assistant-instruction': 'instructions aimed at an AI assistant',
}

/** Latin letters for their Cyrillic and Greek look-alikes. */
const latinOf: Record<string, string> = {
  а: 'a',
  с: 'c',
  е: 'e',
  о: 'o',
  р: 'p',
  х: 'x',
  у: 'y',
  і: 'i',
  ѕ: 's',
  ο: 'o',
  α: 'a',
  ε: 'e',
  ρ: 'p',
}

/**
 * The text as its hidden parts read: invisible characters dropped, look-alike letters made Latin, comments and
 * tags opened; so a payload hidden the same way in many records repeats like a plain one.
 */
export function revealHidden(text: string): string {
  return text
    .replace(/[\u200b-\u200f\u2060-\u2064\u202a-\u202e\u2066-\u2069\ufeff]/gu, '')
    .replace(/[асеорхуіѕοαερ]/gu, (letter) => latinOf[letter])
    .replace(/<!--|-->|<[^>]*>/g, ' ')
}
