/**
 * Reading a tool's JSON Schema for the "Try it" form: which control each property gets, the
 * value a new field starts with, and what is missing or wrong before the call. Pure, so it is
 * unit-tested without a DOM.
 */

export type JsonSchema = Record<string, unknown>;

/** The control a schema gets; `json` is the fallback (a JSON textarea) for anything else. */
export type FieldKind = 'enum' | 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | 'json';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The schema's own type, leaving out `null` from a `["string", "null"]` pair. */
function typeOf(schema: JsonSchema): string | undefined {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const others = type.filter((t) => t !== 'null');
    return others.length === 1 && typeof others[0] === 'string' ? others[0] : undefined;
  }
  return undefined;
}

/** Which control `schema` gets. */
export function fieldKind(schema: unknown): FieldKind {
  if (!isRecord(schema)) return 'json';
  if (Array.isArray(schema.enum) && schema.enum.length > 0 && schema.enum.every((v) => typeof v === 'string' || typeof v === 'number')) return 'enum';
  const type = typeOf(schema);
  if (type === 'string' || type === 'number' || type === 'integer' || type === 'boolean') return type;
  if (type === 'array') return isRecord(schema.items) ? 'array' : 'json';
  if (type === 'object' || (type === undefined && isRecord(schema.properties))) return isRecord(schema.properties) ? 'object' : 'json';
  return 'json';
}

/** The properties of an object schema, in order, with whether each is required. */
export function propertiesOf(schema: JsonSchema): Array<{ name: string; schema: JsonSchema; required: boolean }> {
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  return Object.entries(properties).map(([name, prop]) => ({ name, schema: isRecord(prop) ? prop : {}, required: required.has(name) }));
}

/**
 * The value a field starts with: the schema's `default` when it has one, an object with its
 * required properties filled, and otherwise nothing (the argument is left out).
 */
export function initialValue(schema: unknown, required: boolean): unknown {
  if (!isRecord(schema)) return undefined;
  if (schema.default !== undefined) return structuredClone(schema.default);
  const kind = fieldKind(schema);
  if (kind === 'object' && required) {
    const out: Record<string, unknown> = {};
    for (const prop of propertiesOf(schema)) {
      const value = initialValue(prop.schema, prop.required);
      if (value !== undefined) out[prop.name] = value;
    }
    return out;
  }
  if (kind === 'boolean' && required) return false;
  if (kind === 'array' && required) return [];
  return undefined;
}

/** The arguments a tool's form starts with (its input schema is an object). */
export function initialArguments(schema: JsonSchema | undefined): Record<string, unknown> {
  const value = schema ? initialValue(schema, true) : undefined;
  return isRecord(value) ? value : {};
}

/** A text typed into a number field as the number it means, or why not. */
export function parseNumber(text: string, integer: boolean): { ok: true; value: number | undefined } | { ok: false; message: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, value: undefined };
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return { ok: false, message: `"${trimmed}" is not a number` };
  if (integer && !Number.isInteger(value)) return { ok: false, message: `${trimmed} is not a whole number` };
  return { ok: true, value };
}

/**
 * What stops the call, by path (`a`, `items[1].name`): required arguments left out, numbers
 * out of their range, enum values not offered. The backend validates again: this only saves a
 * round trip for the obvious.
 */
export function missingOrInvalid(schema: unknown, value: unknown, path = ''): string[] {
  if (!isRecord(schema)) return [];
  const problems: string[] = [];
  const at = path || 'arguments';
  const kind = fieldKind(schema);
  if (value === undefined) return problems;
  if (kind === 'object' && isRecord(value)) {
    for (const prop of propertiesOf(schema)) {
      const child = path ? `${path}.${prop.name}` : prop.name;
      const v = value[prop.name];
      if (v === undefined || v === '') {
        if (prop.required) problems.push(`${child}: required`);
        continue;
      }
      problems.push(...missingOrInvalid(prop.schema, v, child));
    }
  } else if (kind === 'array' && Array.isArray(value)) {
    value.forEach((item, i) => problems.push(...missingOrInvalid(schema.items, item, `${at}[${i}]`)));
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) problems.push(`${at}: at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`);
  } else if ((kind === 'number' || kind === 'integer') && typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) problems.push(`${at}: at least ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) problems.push(`${at}: at most ${schema.maximum}`);
  } else if (kind === 'enum' && Array.isArray(schema.enum) && !schema.enum.includes(value as string | number)) {
    problems.push(`${at}: one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  return problems;
}

/** A short line of what the schema says about a field: type, range, format. */
export function describeField(schema: JsonSchema): string {
  const parts: string[] = [];
  const type = typeOf(schema);
  if (fieldKind(schema) === 'json') parts.push(Array.isArray(schema.type) ? `JSON: ${schema.type.join(' | ')}` : 'JSON');
  else if (type) parts.push(type === 'array' && isRecord(schema.items) && typeof schema.items.type === 'string' ? `array of ${schema.items.type}` : type);
  if (typeof schema.format === 'string') parts.push(schema.format);
  // zod writes the safe-integer range on every integer: it says nothing to a person.
  if (typeof schema.minimum === 'number' && schema.minimum > Number.MIN_SAFE_INTEGER) parts.push(`≥ ${schema.minimum}`);
  if (typeof schema.maximum === 'number' && schema.maximum < Number.MAX_SAFE_INTEGER) parts.push(`≤ ${schema.maximum}`);
  return parts.join(', ');
}
