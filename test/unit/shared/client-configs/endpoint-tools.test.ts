import { describe, expect, it } from 'vitest';
import { endpointToolNames, generate, type ListedTool } from '../../../../shared/client-configs/index.js';

const tools: ListedTool[] = [
  { server: 'a', name: 'read', exposedName: 'a__read', enabled: true },
  { server: 'a', name: 'write', exposedName: 'a__write', enabled: false },
  { server: 'b', name: 'read', exposedName: 'b__read', enabled: true },
];

describe('endpointToolNames', () => {
  it('gives the aggregate its namespaced enabled tools, a server endpoint its own names', () => {
    expect(endpointToolNames(tools)).toEqual(['a__read', 'b__read']);
    expect(endpointToolNames(tools, { servers: ['b'] })).toEqual(['b__read']);
    expect(endpointToolNames(tools, { server: 'a' })).toEqual(['read']);
  });

  it('feeds the count warning of a client with a cap', () => {
    const many = Array.from({ length: 56 }, (_, i): ListedTool => ({ server: 's', name: `t${i}`, exposedName: `s__t${i}`, enabled: true }));
    const config = generate('cursor', { url: 'http://127.0.0.1:7420/mcp', toolNames: endpointToolNames(many) });
    expect(config.warnings).toContain('Cursor sends only the first 40 tools to the agent (40); this endpoint offers 56 tools. Point it at one server, or narrow the token\'s tool filter.');
  });
});
