import { useState, type ReactElement } from 'react';

interface Param {
  name: string;
  type: string;
  required: boolean;
  description?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON Schema's type in a few words: `string`, `number | null`, `array of string`, `"a" | "b"`. */
function typeOf(schema: unknown): string {
  if (!isRecord(schema)) return 'any';
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants)) return variants.map(typeOf).join(' | ');
  if (Array.isArray(schema.type)) return schema.type.map(String).join(' | ');
  if (schema.type === 'array') return `array of ${typeOf(schema.items)}`;
  return typeof schema.type === 'string' ? schema.type : 'any';
}

/** The top-level parameters of an object schema. */
export function paramsOf(schema: Record<string, unknown>): Param[] {
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  return Object.entries(properties).map(([name, prop]) => ({
    name,
    type: typeOf(prop),
    required: required.has(name),
    ...(isRecord(prop) && typeof prop.description === 'string' ? { description: prop.description } : {}),
  }));
}

/**
 * A tool's input schema on demand: a disclosure that renders its parameters (and the raw JSON
 * Schema) only once opened, so a long tool list stays light.
 */
export function ToolSchema({ tool, schema }: { tool: string; schema: Record<string, unknown> | undefined }): ReactElement {
  const [open, setOpen] = useState(false);
  const params = open && schema ? paramsOf(schema) : [];
  return (
    <details className="tool-schema" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary aria-label={`Input schema of ${tool}`}>Input schema</summary>
      {open && !schema && <p className="muted">The server lists no input schema for this tool.</p>}
      {open && schema && (
        <>
          {params.length === 0 ? (
            <p className="muted">No parameters.</p>
          ) : (
            <table className="table params" aria-label={`Parameters of ${tool}`}>
              <thead>
                <tr>
                  <th scope="col">Parameter</th>
                  <th scope="col">Type</th>
                  <th scope="col">Description</th>
                </tr>
              </thead>
              <tbody>
                {params.map((p) => (
                  <tr key={p.name}>
                    <td>
                      <code>{p.name}</code>
                      {p.required ? <span className="required" title="required"> *</span> : <span className="muted"> (optional)</span>}
                    </td>
                    <td>
                      <code>{p.type}</code>
                    </td>
                    <td>{p.description ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <details className="raw-schema">
            <summary>JSON Schema</summary>
            <pre className="json">{JSON.stringify(schema, null, 2)}</pre>
          </details>
        </>
      )}
    </details>
  );
}
