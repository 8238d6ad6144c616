/**
 * The benchmark's MCP backend (SDK v2): `echo` answers `echo: <message>`, `blob` answers `kb`
 * KiB of text; `--tools N` pads the catalog with filler tools up to N tools in all.
 *
 *   node out/bench/bench/backend.js stdio [--tools N]   an MCP server on stdin/stdout
 *   node out/bench/bench/backend.js http                forked by the benchmark: streamable HTTP
 *                                                       on 127.0.0.1, its URL sent over IPC
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';
import { failToParent, serveParent } from './child.js';
import { blobText } from './payload.js';

function createBenchServer(toolCount: number): McpServer {
  const server = new McpServer({ name: 'bench-backend', version: '1.0.0' });
  server.registerTool('echo', { description: 'Echoes the message back', inputSchema: z.object({ message: z.string() }) }, async ({ message }) => ({
    content: [{ type: 'text', text: `echo: ${message}` }],
  }));
  server.registerTool('blob', { description: 'Answers kb KiB of text', inputSchema: z.object({ kb: z.number().int().min(0).max(10_240) }) }, async ({ kb }) => ({
    content: [{ type: 'text', text: blobText(kb) }],
  }));
  for (let i = 2; i < toolCount; i++) {
    const name = `filler_${String(i).padStart(3, '0')}`;
    server.registerTool(
      name,
      { description: `Filler tool ${i}: does nothing, only makes the catalog as large as a real server's`, inputSchema: z.object({ path: z.string(), depth: z.number().optional() }) },
      async () => ({ content: [{ type: 'text', text: name }] }),
    );
  }
  return server;
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const mode = process.argv[2];
const toolCount = Number(flag('--tools') ?? 2);

if (mode === 'stdio') {
  serveStdio(() => createBenchServer(toolCount));
} else if (mode === 'http') {
  try {
    const handler = toNodeHandler(createMcpHandler(() => createBenchServer(toolCount)));
    const http = createServer((req, res) => void handler(req, res));
    http.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    serveParent({ url: `http://127.0.0.1:${port}/mcp` }, async () => {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    });
  } catch (error) {
    failToParent(error);
  }
} else if (mode !== undefined) {
  process.stderr.write(`backend: unknown mode "${mode}" (stdio or http)\n`);
  process.exit(2);
}
