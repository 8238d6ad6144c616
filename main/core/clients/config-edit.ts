/**
 * A client entry put into, or taken out of, the text of a config file, keeping everything else
 * as it was:
 *
 * - JSON and JSONC (Claude, Cursor, VS Code, Zed, Gemini, opencode, ...): edited in place with
 *   `jsonc-parser` (`modify` + `applyEdits`), so comments, order and indentation stay;
 * - TOML (Codex): validated with `smol-toml`, and our own `[mcp_servers.<name>]` table is
 *   appended or cut out as text, so every other line (comments included) stays byte for byte;
 *   the result is parsed again and compared before it is written;
 * - YAML (Continue, Goose): edited through `yaml`'s Document API, which keeps comments.
 *
 * Text in, text out: no file is touched here (`install.ts` reads, backs up and writes).
 */
import { applyEdits, findNodeAtLocation, getNodeValue, modify, parseTree, printParseErrorCode, type FormattingOptions, type ParseError } from 'jsonc-parser';
import { parse as parseToml } from 'smol-toml';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import type { ConfigEntry } from '../../../shared/client-configs/types.js';

/** The file is not valid in its format: it is left alone. */
export class InvalidConfigFileError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file} is not valid (${detail}); it was left unchanged: fix it, or move it away and install again`);
    this.name = 'InvalidConfigFileError';
  }
}

export function editText(file: string, text: string, entry: Readonly<ConfigEntry>, action: 'install' | 'remove'): string {
  switch (entry.format) {
    case 'json':
    case 'jsonc':
      return editJson(file, text, entry, action);
    case 'toml':
      return editToml(file, text, entry, action);
    case 'yaml':
      return editYaml(file, text, entry, action);
  }
}

export function readEntry(file: string, text: string, entry: Readonly<ConfigEntry>): unknown {
  switch (entry.format) {
    case 'json':
    case 'jsonc': {
      const root = parseJson(file, text, entry.format);
      const node = root && findNodeAtLocation(root, [...entry.container, entry.name]);
      return node ? getNodeValue(node) : undefined;
    }
    case 'toml':
      return dig(parseTomlFile(file, text), [...entry.container, entry.name]);
    case 'yaml': {
      const doc = parseYamlFile(file, text);
      if (entry.shape === 'list') {
        const list = doc.getIn([...entry.container]);
        return isSeq(list) ? (list.toJSON() as Array<{ name?: unknown }>).find((item) => item?.name === entry.name) : undefined;
      }
      const node = doc.getIn([...entry.container, entry.name]);
      return node === undefined ? undefined : (node as { toJSON?: () => unknown }).toJSON?.() ?? node;
    }
  }
}

// --- JSON / JSONC -------------------------------------------------------------------------------

function parseJson(file: string, text: string, format: 'json' | 'jsonc'): ReturnType<typeof parseTree> {
  if (text.trim() === '') return undefined;
  const errors: ParseError[] = [];
  // Strict JSON files are read by strict parsers: a comment there would break the client.
  const root = parseTree(text, errors, { allowTrailingComma: format === 'jsonc', disallowComments: format === 'json' });
  if (errors.length > 0) {
    const first = errors[0]!;
    throw new InvalidConfigFileError(file, `${printParseErrorCode(first.error)} at line ${lineOf(text, first.offset)}`);
  }
  if (root?.type !== 'object') throw new InvalidConfigFileError(file, 'the top level is not a JSON object');
  return root;
}

function editJson(file: string, original: string, entry: Readonly<ConfigEntry>, action: 'install' | 'remove'): string {
  let text = original;
  let root = parseJson(file, text, entry.format as 'json' | 'jsonc');
  if (!root) {
    if (action === 'remove') return original;
    text = `${JSON.stringify(entry.newFileTop ?? {}, null, 2)}\n`;
    root = parseTree(text);
  }
  const formattingOptions = detectFormatting(text);
  const apply = (jsonPath: Array<string | number>, value: unknown, isArrayInsertion = false): void => {
    text = applyEdits(text, modify(text, jsonPath, value, { formattingOptions, isArrayInsertion }));
  };
  let container = root;
  for (const key of entry.container) {
    const node = container && findNodeAtLocation(container, [key]);
    if (node && node.type !== 'object') throw new InvalidConfigFileError(file, `"${entry.container.join('.')}" is not an object`);
    container = node;
  }
  const entryPath = [...entry.container, entry.name];
  const current = findNodeAtLocation(root!, entryPath);
  if (action === 'install') {
    if (!current || !deepEqual(getNodeValue(current), entry.value)) apply(entryPath, entry.value);
  } else if (current) {
    apply(entryPath, undefined);
  }
  for (const input of entry.inputs ?? []) {
    const tree = parseTree(text)!;
    const inputs = findNodeAtLocation(tree, ['inputs']);
    if (inputs && inputs.type !== 'array') throw new InvalidConfigFileError(file, '"inputs" is not an array');
    const items = inputs?.children ?? [];
    const at = items.findIndex((item) => (getNodeValue(item) as { id?: unknown } | null)?.id === input['id']);
    if (action === 'remove') {
      if (at !== -1) apply(['inputs', at], undefined);
    } else if (at === -1) {
      if (inputs) apply(['inputs', items.length], input, true);
      else apply(['inputs'], [input]);
    } else if (!deepEqual(getNodeValue(items[at]!), input)) {
      apply(['inputs', at], input);
    }
  }
  return text;
}

/** Indentation like the file's own (tabs, or the first indented line's width). */
function detectFormatting(text: string): FormattingOptions {
  const indented = /^([ \t]+)\S/m.exec(text)?.[1];
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  if (indented?.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: indented ? Math.min(indented.length, 8) : 2, eol };
}

// --- TOML ---------------------------------------------------------------------------------------

function parseTomlFile(file: string, text: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    const line = (error as { line?: number }).line;
    throw new InvalidConfigFileError(file, `TOML error${line ? ` at line ${line}` : ''}: ${(error as Error).message.split('\n')[0]}`);
  }
}

function editToml(file: string, text: string, entry: Readonly<ConfigEntry>, action: 'install' | 'remove'): string {
  const parsed = parseTomlFile(file, text);
  const entryPath = [...entry.container, entry.name];
  const current = dig(parsed, entryPath);
  if (action === 'install' && current !== undefined && deepEqual(current, entry.value)) return text;
  if (action === 'remove' && current === undefined) return text;
  let next = text;
  if (current !== undefined) {
    next = cutTomlTable(text, entryPath);
    if (next === text) {
      throw new InvalidConfigFileError(file, `[${entryPath.join('.')}] is written in a form Gatehouse does not edit (inline table or dotted keys); change it by hand`);
    }
  }
  if (action === 'install') {
    const body = renderTomlTable(entryPath, entry.value);
    const base = next.replace(/\s*$/, '');
    next = base === '' ? `${body}\n` : `${base}${next.includes('\r\n') ? '\r\n\r\n' : '\n\n'}${body}\n`;
  }
  // Check the edit did exactly what it should: the entry (or its absence) and nothing else.
  const after = parseTomlFile(file, next);
  const expected = structuredClone(parsed);
  const parent = dig(expected, entry.container) as Record<string, unknown> | undefined;
  if (action === 'install') {
    if (parent) parent[entry.name] = entry.value;
    else setIn(expected, entryPath, entry.value);
  } else if (parent) {
    delete parent[entry.name];
    // `[mcp_servers.x]` alone implies `mcp_servers`; with the table cut, the empty parent goes too.
    if (Object.keys(parent).length === 0 && dig(after, entry.container) === undefined) deleteIn(expected, entry.container);
  }
  if (!deepEqual(after, expected)) throw new InvalidConfigFileError(file, `editing [${entryPath.join('.')}] would change other settings; change it by hand`);
  return next;
}

function renderTomlTable(tablePath: readonly string[], value: Readonly<Record<string, unknown>>): string {
  const key = (k: string): string => (/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k));
  const scalar = (v: unknown): string =>
    typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? `[${v.map(scalar).join(', ')}]` : String(v);
  return [`[${tablePath.map(key).join('.')}]`, ...Object.entries(value).map(([k, v]) => `${key(k)} = ${scalar(v)}`)].join('\n');
}

/**
 * `text` without the table `[a.b]` and its sub-tables (`[a.b.c]`), each up to the next header
 * that is not one of them; blank lines right before the table go too. Unchanged when there is no
 * such header.
 */
function cutTomlTable(text: string, tablePath: readonly string[]): string {
  const lines = text.split(/(?<=\n)/);
  const headerPath = (line: string): string[] | undefined => {
    const m = /^\s*\[(?!\[)\s*([^\]]+?)\s*\]\s*(#.*)?\r?\n?$/.exec(line);
    return m ? splitDottedKey(m[1]!) : undefined;
  };
  const isOurs = (p: string[] | undefined): boolean => p !== undefined && p.length >= tablePath.length && tablePath.every((k, i) => p[i] === k);
  const out: string[] = [];
  let inside = false;
  let found = false;
  for (const line of lines) {
    const header = headerPath(line) ?? (/^\s*\[\[/.test(line) ? [] : undefined);
    if (header !== undefined) inside = isOurs(header);
    if (inside) {
      if (!found) while (out.length > 0 && out.at(-1)!.trim() === '') out.pop();
      found = true;
      continue;
    }
    out.push(line);
  }
  return found ? out.join('') : text;
}

function splitDottedKey(key: string): string[] {
  const parts: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(key)) !== null && m[0] !== '') {
    parts.push(m[1] !== undefined ? (JSON.parse(`"${m[1]}"`) as string) : (m[2] ?? m[3]!));
    if (re.lastIndex >= key.length) break;
  }
  return parts;
}

// --- YAML ---------------------------------------------------------------------------------------

function parseYamlFile(file: string, text: string): Document {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    throw new InvalidConfigFileError(file, `YAML error at line ${first.linePos?.[0].line ?? '?'}: ${first.message.split('\n')[0]}`);
  }
  if (doc.contents !== null && !isMap(doc.contents)) throw new InvalidConfigFileError(file, 'the top level is not a mapping');
  return doc;
}

function editYaml(file: string, text: string, entry: Readonly<ConfigEntry>, action: 'install' | 'remove'): string {
  const doc = parseYamlFile(file, text);
  if (doc.contents === null) {
    if (action === 'remove') return text;
    doc.contents = doc.createNode({});
  }
  const container = doc.getIn([...entry.container]);
  if (entry.shape === 'list') {
    if (container !== undefined && !isSeq(container)) throw new InvalidConfigFileError(file, `"${entry.container.join('.')}" is not a list`);
    const items = isSeq(container) ? (container.toJSON() as Array<{ name?: unknown } | null>) : [];
    const at = items.findIndex((item) => item?.name === entry.name);
    if (action === 'remove') {
      if (at === -1) return text;
      (container as { delete(i: number): boolean }).delete(at);
    } else {
      if (at !== -1 && deepEqual(items[at], entry.value)) return text;
      const node = doc.createNode(entry.value);
      if (!isSeq(container)) doc.setIn([...entry.container], doc.createNode([entry.value]));
      else if (at === -1) container.add(node);
      else container.set(at, node);
    }
    return doc.toString();
  }
  if (container !== undefined && !isMap(container)) throw new InvalidConfigFileError(file, `"${entry.container.join('.')}" is not a mapping`);
  const entryPath = [...entry.container, entry.name];
  const current = doc.getIn(entryPath);
  if (action === 'remove') {
    if (current === undefined) return text;
    doc.deleteIn(entryPath);
  } else {
    const value = current === undefined ? undefined : (current as { toJSON?: () => unknown }).toJSON?.() ?? current;
    if (deepEqual(value, entry.value)) return text;
    doc.setIn(entryPath, doc.createNode(entry.value));
  }
  return doc.toString();
}

// --- helpers ------------------------------------------------------------------------------------

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

function dig(value: unknown, keys: readonly string[]): unknown {
  let at = value;
  for (const key of keys) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

function setIn(target: Record<string, unknown>, keys: readonly string[], value: unknown): void {
  let at = target;
  for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
  at[keys.at(-1)!] = value;
}

function deleteIn(target: Record<string, unknown>, keys: readonly string[]): void {
  const parent = dig(target, keys.slice(0, -1));
  if (typeof parent === 'object' && parent !== null) delete (parent as Record<string, unknown>)[keys.at(-1)!];
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
