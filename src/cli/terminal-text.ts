import type { CliIo } from './io.js'

/**
 * Whether a UTF-16 code unit can steer a terminal: C0 controls except tab and newline (ESC starts escape
 * sequences, CR overwrites a line), DEL, C1 controls (U+009B is a one-character CSI) and the bidirectional
 * overrides and isolates that make text display in another order than it reads.
 */
function isSteering(code: number): boolean {
  if (code < 0x20) return code !== 0x09 && code !== 0x0a
  if (code >= 0x7f && code <= 0x9f) return true
  return (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)
}

/**
 * Shows every steering character as a visible `\u001b`-style escape, so a column name, label or manifest field
 * can never recolour, move or rewrite what a terminal shows. JSON stays valid JSON with the same meaning: inside
 * strings these escapes mean the same characters, and JSON never has raw control characters outside them.
 */
export function escapeSteeringCharacters(text: string): string {
  let escaped = ''
  let start = 0
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (!isSteering(code)) continue
    escaped += `${text.slice(start, index)}\\u${code.toString(16).padStart(4, '0')}`
    start = index + 1
  }
  return start === 0 ? text : escaped + text.slice(start)
}

/** The same streams, with everything printed passed through `escapeSteeringCharacters`. */
export function withEscapedOutput(io: CliIo): CliIo {
  return {
    ...io,
    stdout: (text) => io.stdout(escapeSteeringCharacters(text)),
    stderr: (text) => io.stderr(escapeSteeringCharacters(text)),
  }
}
