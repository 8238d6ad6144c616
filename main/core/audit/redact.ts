/**
 * Redaction and truncation of audit payloads. Everything that reaches an audit segment, the
 * live stream or an export has been through {@link Redactor.redactValue} or
 * {@link Redactor.redactText} first.
 */
import picomatch from 'picomatch';

/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

/**
 * Key patterns whose values are always redacted (globs, case-insensitive, matched against the
 * whole key). `*token*` also hides harmless keys such as `max_tokens`: hiding a count is cheaper
 * than leaking a token under a name nobody thought of.
 */
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  '*-key',
  '*_key',
  '*apikey',
  '*token*',
  '*secret*',
  '*password*',
  '*passwd*',
];

/** Secrets shorter than this are not searched for inside strings: "abc" would match everywhere. */
export const MIN_SECRET_LENGTH = 4;

export interface RedactorOptions {
  /** Extra key patterns: globs (picomatch, case-insensitive) or regular expressions. */
  extraKeys?: readonly (string | RegExp)[];
  /**
   * Current secret values (from the secret store). Called on every redaction, so a secret added
   * while the gateway runs is covered at once; the compiled matcher is cached while the set of
   * values stays the same.
   */
  secretValues?: () => Iterable<string>;
  /** Current client tokens, in clear (the gateway has them in memory while it verifies them). */
  clientTokens?: () => Iterable<string>;
}

/** Redacts secrets from values and text, and cuts long payloads. */
export interface Redactor {
  /**
   * A deep copy of `value` in which every value under a sensitive key is `[REDACTED]` and every
   * known secret inside any string (keys included) is replaced. Booleans and `null` under a
   * sensitive key are kept: they cannot carry a secret.
   */
  redactValue(value: unknown): unknown;
  /** `text` with every known secret and every `Bearer <credential>` replaced. */
  redactText(text: string): string;
  /**
   * Both functions bound to the secrets as they are now: reads the secret sources once, for
   * redacting the many fields of one event (each call above reads them again).
   */
  current(): Pick<Redactor, 'redactValue' | 'redactText'>;
}

/** Builds a {@link Redactor}. */
export function createRedactor(opts: Readonly<RedactorOptions> = {}): Redactor {
  const globs = [...DEFAULT_REDACT_KEYS, ...(opts.extraKeys ?? []).filter((k): k is string => typeof k === 'string')];
  const regexes = (opts.extraKeys ?? []).filter((k): k is RegExp => k instanceof RegExp);
  const isGlobMatch = picomatch(globs, { nocase: true, dot: true });
  const keyCache = new Map<string, boolean>();
  const isSensitiveKey = (key: string): boolean => {
    let hit = keyCache.get(key);
    if (hit === undefined) {
      // picomatch treats "/" as a path separator; keys are not paths.
      hit = isGlobMatch(key.replaceAll('/', '_')) || regexes.some((r) => testRegex(r, key));
      if (keyCache.size < 10_000) keyCache.set(key, hit);
    }
    return hit;
  };

  let cachedKey: string | undefined;
  let cachedPattern: RegExp | undefined;
  const secretPattern = (): RegExp | undefined => {
    const values = new Set<string>();
    for (const source of [opts.secretValues, opts.clientTokens]) {
      if (!source) continue;
      for (const v of source()) if (typeof v === 'string' && v.length >= MIN_SECRET_LENGTH) values.add(v);
    }
    const sorted = [...values].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    const key = sorted.join('\u0000');
    if (key !== cachedKey) {
      cachedKey = key;
      // Longest first, so a secret that contains another is replaced whole.
      cachedPattern = sorted.length === 0 ? undefined : new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
    }
    return cachedPattern;
  };

  const redactText = (text: string, pattern: RegExp | undefined): string => {
    let out = pattern ? text.replace(pattern, REDACTED) : text;
    if (out.length > 7) out = out.replace(BEARER, `$1${REDACTED}`);
    return out;
  };

  const walk = (value: unknown, pattern: RegExp | undefined, depth: number): unknown => {
    if (typeof value === 'string') return redactText(value, pattern);
    // JSON cannot hold a bigint; keep its digits rather than fail the whole event.
    if (typeof value === 'bigint') return value.toString();
    if (value === null || typeof value !== 'object') return value;
    // A pathological depth is cut rather than recursed into (the payload came from a client).
    if (depth > 64) return '[too deep]';
    if (Array.isArray(value)) return value.map((item) => walk(item, pattern, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const safeKey = redactText(key, pattern);
      out[safeKey] = isSensitiveKey(key) && item !== null && typeof item !== 'boolean' ? REDACTED : walk(item, pattern, depth + 1);
    }
    return out;
  };

  return {
    redactValue: (value) => walk(value, secretPattern(), 0),
    redactText: (text) => redactText(text, secretPattern()),
    current: () => {
      const pattern = secretPattern();
      return { redactValue: (value) => walk(value, pattern, 0), redactText: (text) => redactText(text, pattern) };
    },
  };
}

/** `Bearer <credential>` inside free text (an error message quoting a header, say). */
const BEARER = /\b(Bearer\s+)(?!\[REDACTED\])[A-Za-z0-9\-._~+/]+=*/gi;

/**
 * Serializes `value` as JSON and cuts it at `maxBytes` (UTF-8), ending the cut text with
 * `…[truncated N bytes]` where N is how many bytes were left out. Returns the value itself
 * when it fits, so small arguments stay structured.
 */
export function truncateValue(value: unknown, maxBytes: number): unknown {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined) return undefined;
  const cut = truncateText(text, maxBytes);
  return cut === text ? value : cut;
}

/** `text` cut at `maxBytes` (UTF-8) with a `…[truncated N bytes]` marker, or `text` when it fits. */
export function truncateText(text: string, maxBytes: number): string {
  // Cheap exit: a UTF-16 string never takes more than 3 UTF-8 bytes per code unit.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Do not cut inside a multi-byte character: back up to its first byte.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return `${bytes.subarray(0, end).toString('utf8')}…[truncated ${bytes.length - end} bytes]`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function testRegex(regex: RegExp, key: string): boolean {
  regex.lastIndex = 0;
  return regex.test(key);
}
