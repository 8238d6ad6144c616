import { useId, useState, type ReactElement, type ReactNode } from 'react';
import { describeField, fieldKind, initialValue, isRecord, parseNumber, propertiesOf, type JsonSchema } from './schema-model.js';

export interface SchemaFieldProps {
  schema: JsonSchema;
  /** The field's name as shown (and as the accessible name). */
  label: string;
  required: boolean;
  value: unknown;
  /** `undefined` leaves the argument out. */
  onChange: (value: unknown) => void;
}

/**
 * One argument's control, chosen from its schema: a text box, a number box, a checkbox, a list
 * of choices, a list of items, a group of fields, or (for anything else) JSON text.
 */
export function SchemaField(props: SchemaFieldProps): ReactElement {
  const { schema, label, required } = props;
  const id = useId();
  const kind = fieldKind(schema);
  const description = typeof schema.description === 'string' ? schema.description : undefined;
  const details = describeField(schema);
  const help = (
    <>
      {details && <span className="field-type">{details}</span>}
      {description && <span className="field-help">{description}</span>}
    </>
  );
  if (kind === 'object') return <ObjectField {...props} help={help} />;
  if (kind === 'array') return <ArrayField {...props} help={help} />;
  return (
    <div className="schema-field" data-field={label}>
      <div className="field-label">
        <label htmlFor={id}>{label}</label>
        <Marker required={required} />
      </div>
      <div className="field-control">
        {kind === 'enum' && <EnumInput id={id} {...props} />}
        {kind === 'string' && <StringInput id={id} {...props} />}
        {(kind === 'number' || kind === 'integer') && <NumberInput id={id} integer={kind === 'integer'} {...props} />}
        {kind === 'boolean' && <BooleanInput id={id} {...props} />}
        {kind === 'json' && <JsonInput id={id} {...props} />}
        <div className="field-note">{help}</div>
      </div>
    </div>
  );
}

function EnumInput({ id, schema, value, required, onChange }: SchemaFieldProps & { id: string }): ReactElement {
  const options = (schema.enum as Array<string | number>) ?? [];
  function handleChange(text: string): void {
    if (text === '') return onChange(undefined);
    onChange(options.find((o) => String(o) === text));
  }
  return (
    <select id={id} value={value === undefined ? '' : String(value)} aria-required={required} onChange={(e) => handleChange(e.target.value)}>
      {(!required || value === undefined) && <option value="">{required ? 'choose…' : '(leave out)'}</option>}
      {options.map((option) => (
        <option key={String(option)} value={String(option)}>
          {String(option)}
        </option>
      ))}
    </select>
  );
}

function StringInput({ id, schema, value, required, onChange }: SchemaFieldProps & { id: string }): ReactElement {
  const long = typeof schema.maxLength !== 'number' || schema.maxLength > 200;
  const text = typeof value === 'string' ? value : '';
  const handle = (next: string): void => onChange(next === '' ? undefined : next);
  return long && /\n/.test(text) ? (
    <textarea id={id} rows={4} value={text} aria-required={required} onChange={(e) => handle(e.target.value)} />
  ) : (
    <input id={id} type="text" value={text} autoComplete="off" aria-required={required} onChange={(e) => handle(e.target.value)} />
  );
}

function NumberInput({ id, value, integer, required, onChange }: SchemaFieldProps & { id: string; integer: boolean }): ReactElement {
  const [text, setText] = useState(typeof value === 'number' ? String(value) : '');
  const parsed = parseNumber(text, integer);
  function handleChange(next: string): void {
    setText(next);
    const result = parseNumber(next, integer);
    if (result.ok) onChange(result.value);
  }
  return (
    <>
      <input id={id} type="text" inputMode={integer ? 'numeric' : 'decimal'} value={text} aria-required={required} aria-invalid={!parsed.ok} onChange={(e) => handleChange(e.target.value)} />
      {!parsed.ok && <span className="error-text field-error">{parsed.message}</span>}
    </>
  );
}

function BooleanInput({ id, value, required, onChange }: SchemaFieldProps & { id: string }): ReactElement {
  if (required) return <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />;
  return (
    <select id={id} value={value === undefined ? '' : String(value)} onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value === 'true')}>
      <option value="">(leave out)</option>
      <option value="true">true</option>
      <option value="false">false</option>
    </select>
  );
}

/** Any value as JSON text: for schemas the form cannot draw (unions, free-form objects). */
export function JsonInput({ id, value, onChange, rows = 3 }: Pick<SchemaFieldProps, 'value' | 'onChange'> & { id: string; rows?: number }): ReactElement {
  const [text, setText] = useState(value === undefined ? '' : JSON.stringify(value, null, 2));
  const [error, setError] = useState<string>();
  function handleChange(next: string): void {
    setText(next);
    if (next.trim() === '') {
      setError(undefined);
      return onChange(undefined);
    }
    try {
      onChange(JSON.parse(next));
      setError(undefined);
    } catch (err) {
      setError(`not JSON yet: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return (
    <>
      <textarea id={id} className="code-input" rows={rows} value={text} spellCheck={false} aria-invalid={error !== undefined} onChange={(e) => handleChange(e.target.value)} />
      {error && <span className="error-text field-error">{error}</span>}
    </>
  );
}

function ObjectField({ schema, label, required, value, onChange, help }: SchemaFieldProps & { help: ReactElement }): ReactElement {
  const object = isRecord(value) ? value : {};
  function setProperty(name: string, next: unknown): void {
    const { [name]: _old, ...rest } = object;
    const updated = next === undefined ? rest : { ...rest, [name]: next };
    onChange(Object.keys(updated).length === 0 && !required ? undefined : updated);
  }
  return (
    <Group label={label} required={required} help={help}>
      <SchemaFields schema={schema} value={object} onChange={setProperty} />
    </Group>
  );
}

function ArrayField({ schema, label, required, value, onChange, help }: SchemaFieldProps & { help: ReactElement }): ReactElement {
  const items = Array.isArray(value) ? value : [];
  const itemSchema = (isRecord(schema.items) ? schema.items : {}) as JsonSchema;
  // Keys that survive removing an item from the middle.
  const [keys, setKeys] = useState<number[]>(() => items.map((_, i) => i));
  const [next, setNext] = useState(items.length);
  function set(list: unknown[]): void {
    onChange(list.length === 0 && !required ? undefined : list);
  }
  function handleAdd(): void {
    setKeys([...keys, next]);
    setNext(next + 1);
    set([...items, initialValue(itemSchema, true) ?? (fieldKind(itemSchema) === 'string' ? '' : undefined)]);
  }
  function handleRemove(index: number): void {
    setKeys(keys.filter((_, i) => i !== index));
    set(items.filter((_, i) => i !== index));
  }
  return (
    <Group label={label} required={required} help={help}>
      {items.map((item, index) => (
        <div className="array-item" key={keys[index] ?? index}>
          <SchemaField schema={itemSchema} label={`${label}[${index}]`} required value={item} onChange={(v) => set(items.map((x, i) => (i === index ? v : x)))} />
          <button type="button" className="button small" aria-label={`Remove ${label}[${index}]`} onClick={() => handleRemove(index)}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" className="button small" onClick={handleAdd}>
        Add to {label}
      </button>
    </Group>
  );
}

/** Every property of an object schema as a field. */
export function SchemaFields({ schema, value, onChange }: { schema: JsonSchema; value: Record<string, unknown>; onChange: (name: string, value: unknown) => void }): ReactElement {
  const properties = propertiesOf(schema);
  if (properties.length === 0) return <p className="muted">No arguments.</p>;
  return (
    <>
      {properties.map((prop) => (
        <SchemaField key={prop.name} schema={prop.schema} label={prop.name} required={prop.required} value={value[prop.name]} onChange={(v) => onChange(prop.name, v)} />
      ))}
    </>
  );
}

/** A group of fields (an object's properties, an array's items) under the argument's name. */
function Group({ label, required, help, children }: { label: string; required: boolean; help: ReactElement; children: ReactNode }): ReactElement {
  return (
    <fieldset className="schema-group" data-field={label}>
      <legend>
        {label}
        <Marker required={required} />
      </legend>
      <div className="field-note">{help}</div>
      {children}
    </fieldset>
  );
}

/** Required or optional, beside a field's name (outside its label, so the name stays the name). */
function Marker({ required }: { required: boolean }): ReactElement {
  return required ? (
    <span className="required" title="required">
      {' *'}
    </span>
  ) : (
    <span className="muted">{' (optional)'}</span>
  );
}
