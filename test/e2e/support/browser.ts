/**
 * Real Chromium for the e2e tests: Debian's `chromium` driven by playwright-core. Missing
 * Chromium is a failure with instructions, never a silent skip.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.GATEHOUSE_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `e2e tests need Debian's Chromium at ${CHROMIUM_PATH}, which is missing. ` +
        'Install it with: apt-get update && apt-get install -y --no-install-recommends chromium ' +
        '(or point GATEHOUSE_CHROMIUM at a Chromium binary).',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, headless: true });
}
