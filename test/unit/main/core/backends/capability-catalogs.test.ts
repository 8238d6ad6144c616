import { describe, expect, it } from 'vitest';
import { CapabilityCatalogs, capabilityKey } from '../../../../../main/core/backends/capability-catalogs.js';
import type { Catalog } from '../../../../../main/core/backends/catalog.js';

const catalog = (tool: string): Catalog => ({ tools: [{ name: tool, inputSchema: { type: 'object' } }], prompts: [], resources: [], resourceTemplates: [], capabilities: {} });

describe('capabilityKey', () => {
  it('is the same for the same capabilities in any key order, and differs otherwise', () => {
    expect(capabilityKey({ roots: { listChanged: true }, sampling: {} })).toBe(capabilityKey({ sampling: {}, roots: { listChanged: true } }));
    expect(capabilityKey({ elicitation: { url: {}, form: {} } })).toBe(capabilityKey({ elicitation: { form: {}, url: {} } }));
    expect(capabilityKey({ roots: { listChanged: true } })).not.toBe(capabilityKey({}));
  });
});

describe('CapabilityCatalogs', () => {
  it('reads once per capability set, shares the read, and forgets on clear', async () => {
    const reads: string[] = [];
    const catalogs = new CapabilityCatalogs(async (caps) => {
      reads.push(capabilityKey(caps));
      return catalog(caps.roots ? 'with-roots' : 'plain');
    });
    const [a, b] = await Promise.all([catalogs.get({ roots: {} }), catalogs.get({ roots: {} })]);
    expect(a).toBe(b);
    expect((await catalogs.get({})).tools[0]?.name).toBe('plain');
    expect(reads).toHaveLength(2);
    catalogs.set({}, catalog('changed'));
    expect((await catalogs.get({})).tools[0]?.name).toBe('changed');
    catalogs.clear();
    expect(catalogs.peek({ roots: {} })).toBeUndefined();
    await catalogs.get({ roots: {} });
    expect(reads).toHaveLength(3);
  });
});
