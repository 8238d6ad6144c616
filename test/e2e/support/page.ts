/** What every e2e test does with its page: move between screens, and take both colour schemes' screenshots. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

/** Where the screenshots go (the README's copies come from here). */
export const SHOTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test-artifacts/screenshots');

/** Clicks the screen's tab and waits for its heading. */
export async function openScreen(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

/** `<name>-light.png` and `<name>-dark.png`; a modal dialog is shot in the viewport only (its backdrop covers just that). */
export async function screenshots(page: Page, name: string, fullPage = true): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: path.join(SHOTS, `${name}-${colorScheme}.png`), fullPage });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}
