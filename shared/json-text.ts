/**
 * Parsing JSON that a person wrote (a config file, a pasted snippet), with errors that say where:
 * `invalid JSON at line 3, column 31: a comma before "}" (JSON allows none there)`.
 *
 * `JSON.parse` decides what is valid; its own messages differ between engines and often give
 * only an offset (`at position 40`) or none, so the place and the wording come from
 * jsonc-parser's scanner, run in strict JSON mode. Runs in every process: no `node:*` imports.
 */
import { parse as scanJson, printParseErrorCode, type ParseError } from 'jsonc-parser';

/** Result of {@link parseJsonText}. */
export type JsonTextResult = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * Parses `text` as strict JSON. A leading byte-order mark (Notepad writes one) is skipped; lines
 * and columns count from 1 in the text after it, as an editor shows them.
 */
export function parseJsonText(text: string): JsonTextResult {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (error) {
    const errors: ParseError[] = [];
    scanJson(body, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    // The scanner agrees with JSON.parse on every input we know of; keep the engine's words if not.
    if (!first) return { ok: false, error: `invalid JSON: ${error instanceof Error ? error.message : String(error)}` };
    const { line, column } = lineAndColumn(body, first.offset);
    return { ok: false, error: `invalid JSON at line ${line}, column ${column}: ${describe(body, first)}` };
  }
}

/** 1-based line and column of `offset`; `\r\n`, `\n` and a lone `\r` each end a line. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text[i];
    if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function describe(text: string, error: ParseError): string {
  if (error.offset >= text.length) return text.trim() === '' ? 'the text is empty' : 'the text ends before the JSON is complete';
  const found = text.slice(error.offset, error.offset + Math.max(1, Math.min(error.length, 20)));
  const before = text.slice(0, error.offset).trimEnd().at(-1);
  const code = printParseErrorCode(error.error);
  switch (code) {
    case 'PropertyNameExpected':
    case 'ValueExpected':
      if (before === ',' && (found === '}' || found === ']')) return `a comma before "${found}" (JSON allows none there)`;
      return code === 'ValueExpected'
        ? `expected a value, found ${JSON.stringify(found)}`
        : `expected a property name in double quotes, found ${JSON.stringify(found)}`;
    case 'InvalidSymbol':
      return `unexpected ${JSON.stringify(found)}${/^[A-Za-z_]/.test(found) ? ' (strings and names need double quotes)' : ''}`;
    case 'ColonExpected':
      return `expected ":" after the property name, found ${JSON.stringify(found)}`;
    case 'CommaExpected':
      return `expected "," between items, found ${JSON.stringify(found)}`;
    case 'CloseBraceExpected':
      return `expected "," or "}", found ${JSON.stringify(found)}`;
    case 'CloseBracketExpected':
      return `expected "," or "]", found ${JSON.stringify(found)}`;
    case 'EndOfFileExpected':
      return `more text after the end of the JSON value (${JSON.stringify(found)})`;
    case 'InvalidCommentToken':
    case 'UnexpectedEndOfComment':
      return 'comments are not allowed in JSON';
    case 'UnexpectedEndOfString':
      return 'a string is not closed (a " is missing)';
    case 'InvalidCharacter':
      return 'a control character (a tab or line break) inside a string: write it as \\t or \\n';
    case 'InvalidEscapeCharacter':
    case 'InvalidUnicode':
      return `an invalid escape in the string ${found}: write each backslash as \\\\`;
    case 'InvalidNumberFormat':
    case 'UnexpectedEndOfNumber':
      return `an invalid number (${JSON.stringify(found)})`;
    default:
      return `unexpected ${JSON.stringify(found)}`;
  }
}
