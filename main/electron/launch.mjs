#!/usr/bin/env node
// `npm start`: runs the desktop app with the `electron` package's binary. That binary is
// downloaded on first use; when it cannot be, say so plainly and point at the headless gateway
// instead of leaving the user with a stack trace.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

let binary;
try {
  binary = require('electron');
} catch (error) {
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  process.stderr.write(
    `\ngatehouse: the desktop app needs Electron's binary, which is not installed and could not be downloaded (${reason}).\n` +
      '  The same gateway runs without it: npm run serve   (then open http://127.0.0.1:7420/ with the admin token it prints)\n',
  );
  process.exit(1);
}

const child = spawn(binary, [appRoot, ...process.argv.slice(2)], { stdio: 'inherit', windowsHide: false });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
