/**
 * The floor: a bare `node:http` streaming proxy in front of the HTTP backend. A keep-alive
 * agent, no auth, no parsing, no logging: what any Node hop costs on this machine.
 *
 *   forked by the benchmark: node out/bench/bench/floor-proxy.js <backend-url>
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { failToParent, serveParent } from './child.js';

const target = new URL(process.argv[2] ?? '');
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

const server = createServer((req, res) => {
  let complete = false;
  const upstream = request(
    { agent, host: target.hostname, port: target.port, method: req.method, path: target.pathname, headers: { ...req.headers, host: target.host } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.on('end', () => (complete = true));
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  // A client that goes away closes the upstream request too (SSE streams).
  res.on('close', () => complete || upstream.destroy());
  req.pipe(upstream);
});
server.keepAliveTimeout = 60_000;

try {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  serveParent({ url: `http://127.0.0.1:${port}/mcp` }, async () => {
    server.closeAllConnections();
    agent.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
} catch (error) {
  failToParent(error);
}
