/**
 * Small, exact renderers for the snippets: POSIX shell words, TOML and YAML. Hand-written so the
 * output is byte-for-byte predictable (golden tests) and `shared/` needs no parser at run time.
 *
 * Runs in every process: no `node:*` imports here.
 */

/**
 * One shell word. Safe words stay bare; everything else goes in single quotes, so neither a
 * POSIX shell nor PowerShell expands `$VAR` / `${VAR}` inside it: the client stores the
 * placeholder and expands it itself when it loads its config.
 */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line from words, each quoted by {@link shellQuote}. */
export function shellCommand(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

/** A TOML key: bare when it can be, otherwise a basic string. */
export function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

/** A TOML basic string (JSON string escapes are valid TOML escapes for what JSON emits). */
export function tomlString(value: string): string {
  return JSON.stringify(value).replace(/\u007f/g, '\\u007F');
}

/** A TOML value for the scalars and string arrays the generators use. */
export function tomlValue(value: unknown): string {
  if (typeof value === 'string') return tomlString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(', ')}]`;
  throw new TypeError(`cannot render ${typeof value} as a TOML value`);
}

/** `[table.path]` and its `key = value` lines. */
export function tomlTable(path: readonly string[], values: Readonly<Record<string, unknown>>): string {
  const lines = [`[${path.map(tomlKey).join('.')}]`];
  for (const [key, value] of Object.entries(values)) lines.push(`${tomlKey(key)} = ${tomlValue(value)}`);
  return lines.join('\n');
}

/**
 * A YAML scalar: plain when YAML reads it back as the same string, double-quoted otherwise.
 * Plain is kept for `${{ secrets.X }}` and `Bearer ${X}` (what the clients document).
 */
export function yamlScalar(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') throw new TypeError(`cannot render ${typeof value} as a YAML scalar`);
  const plain =
    value !== '' &&
    !/^[\s\-?:,[\]{}#&*!|>'"%@`]/.test(value) &&
    !/\s$/.test(value) &&
    !/: |:$| #/.test(value) &&
    !/^(true|false|yes|no|on|off|null|~|[-+]?[0-9][0-9_.eE+-]*)$/i.test(value) &&
    !/[\u0000-\u001f]/.test(value);
  return plain ? value : JSON.stringify(value);
}

/** A YAML block for nested maps, lists of scalars (flow style) and lists of maps. */
export function yamlBlock(value: Readonly<Record<string, unknown>>, indent = 0): string {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (Array.isArray(v)) {
      if (v.every((item) => typeof item !== 'object' || item === null)) {
        lines.push(`${pad}${yamlScalar(key)}: [${v.map(yamlScalar).join(', ')}]`);
      } else {
        lines.push(`${pad}${yamlScalar(key)}:`);
        for (const item of v) {
          const inner = yamlBlock(item as Record<string, unknown>, indent + 4).split('\n');
          lines.push(`${pad}  - ${inner[0]!.trimStart()}`, ...inner.slice(1));
        }
      }
    } else if (typeof v === 'object' && v !== null) {
      lines.push(`${pad}${yamlScalar(key)}:`, yamlBlock(v as Record<string, unknown>, indent + 2));
    } else {
      lines.push(`${pad}${yamlScalar(key)}: ${yamlScalar(v)}`);
    }
  }
  return lines.join('\n');
}

/** Standard base64 of the UTF-8 bytes of `text` (no Buffer: this runs in the renderer too). */
export function base64Utf8(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
