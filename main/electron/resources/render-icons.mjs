#!/usr/bin/env node
/**
 * Renders the committed PNG icons from the SVG sources beside this script:
 *
 *   icon.png                          1024 px app icon; electron-builder derives the macOS .icns
 *                                     and the Windows .ico from it at package time
 *   icons/<n>x<n>.png                 the Linux icon set (hicolor sizes 16 to 1024)
 *   tray/tray-<state>.png, @2x        colour tray icons for Windows and Linux
 *   tray/tray-<state>Template.png, @2x  macOS template images: black plus alpha only
 *
 * Each PNG is a screenshot of the SVG drawn at exactly its pixel size (device scale factor 1,
 * transparent background), so small sizes are rasterised from vectors, not scaled down from
 * 1024 px. Template images are the same art through `filter: brightness(0)`, which zeroes the
 * colour channels and keeps the alpha.
 *
 * Run it after editing an SVG: `node main/electron/resources/render-icons.mjs`.
 * Needs playwright-core and a Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // Keep the sources' sRGB values as they are instead of mapping them to a display profile.
  '--force-color-profile=srgb',
];

/** The Linux icon set; sizes up to this one use the small-size art (icon-small.svg). */
const ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
const SMALL_ART_MAX = 48;

/** Tray states, in the names main/electron/tray-model.ts loads. */
const TRAY_STATES = ['running', 'stopped', 'error'];
const TRAY_SIZE = 16;

/** @returns {Array<{ source: string; size: number; template: boolean; out: string }>} */
function jobs() {
  const list = [{ source: 'icon.svg', size: 1024, template: false, out: 'icon.png' }];
  for (const size of ICON_SIZES) {
    const source = size <= SMALL_ART_MAX ? 'icon-small.svg' : 'icon.svg';
    list.push({ source, size, template: false, out: `icons/${size}x${size}.png` });
  }
  for (const state of TRAY_STATES) {
    for (const template of [false, true]) {
      for (const scale of [1, 2]) {
        const name = `tray-${state}${template ? 'Template' : ''}${scale === 2 ? '@2x' : ''}.png`;
        list.push({ source: `tray-${state}.svg`, size: TRAY_SIZE * scale, template, out: `tray/${name}` });
      }
    }
  }
  return list;
}

/** A page that shows only the SVG, at `size` CSS pixels, on a transparent background. */
function pageFor(svg, size, template) {
  const src = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
  const filter = template ? 'filter:brightness(0);' : '';
  return `<!doctype html><html><head><style>
html,body{margin:0;padding:0;background:transparent;overflow:hidden}
img{display:block;width:${size}px;height:${size}px;${filter}}
</style></head><body><img src="${src}" alt=""></body></html>`;
}

async function main() {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  try {
    const context = await browser.newContext({ deviceScaleFactor: 1, viewport: { width: 1024, height: 1024 } });
    const page = await context.newPage();
    const sources = new Map();
    for (const job of jobs()) {
      if (!sources.has(job.source)) sources.set(job.source, await readFile(path.join(HERE, job.source), 'utf8'));
      await page.setViewportSize({ width: job.size, height: job.size });
      await page.setContent(pageFor(sources.get(job.source), job.size, job.template));
      await page.locator('img').evaluate((img) => img.decode());
      const png = await page.screenshot({
        omitBackground: true,
        clip: { x: 0, y: 0, width: job.size, height: job.size },
      });
      const out = path.join(HERE, job.out);
      await mkdir(path.dirname(out), { recursive: true });
      await writeFile(out, png);
      console.log(`${job.out}  ${job.size}x${job.size}  from ${job.source}${job.template ? ' (template)' : ''}`);
    }
  } finally {
    await browser.close();
  }
}

await main();
