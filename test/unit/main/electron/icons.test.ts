/**
 * The committed icons under main/electron/resources (rendered by render-icons.mjs): every size
 * electron-builder and Electron look for exists with the right dimensions, the macOS tray images
 * are real template images (black plus alpha), and the three tray states differ in shape.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const resources = path.join(root, 'main/electron/resources');
const trayDir = path.join(resources, 'tray');

const ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
const TRAY_STATES = ['running', 'stopped', 'error'] as const;

// --- a minimal PNG reader: 8-bit, non-interlaced, greyscale/RGB with or without alpha ----------

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Colour type → channels per pixel (PNG spec, table 11.1). Palette (3) is not handled. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };
const COLOR_TYPE_RGBA = 6;

interface Png {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  /** Unfiltered samples, row by row, `channels` bytes per pixel. */
  pixels: Buffer;
  channels: number;
}

function readPng(file: string): Png {
  const data = readFileSync(file);
  if (!data.subarray(0, 8).equals(SIGNATURE)) throw new Error(`${file}: not a PNG`);
  let offset = 8;
  let header: { width: number; height: number; bitDepth: number; colorType: number; interlace: number } | undefined;
  const idat: Buffer[] = [];
  while (offset < data.length) {
    const length = data.readUInt32BE(offset);
    const type = data.toString('latin1', offset + 4, offset + 8);
    const body = data.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      header = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), bitDepth: body[8]!, colorType: body[9]!, interlace: body[12]! };
    } else if (type === 'IDAT') {
      idat.push(body);
    } else if (type === 'IEND') {
      break;
    }
    offset += 12 + length; // length, type, body, CRC
  }
  if (!header) throw new Error(`${file}: no IHDR`);
  const channels = CHANNELS[header.colorType];
  if (channels === undefined || header.bitDepth !== 8 || header.interlace !== 0) {
    throw new Error(`${file}: colour type ${header.colorType}, depth ${header.bitDepth}, interlace ${header.interlace} not handled`);
  }
  const pixels = unfilter(inflateSync(Buffer.concat(idat)), header.width, header.height, channels);
  return { ...header, pixels, channels };
}

/** Undoes the per-row filters (PNG spec §9): None, Sub, Up, Average, Paeth. */
function unfilter(raw: Buffer, width: number, height: number, bpp: number): Buffer {
  const stride = width * bpp;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[y * stride + x - bpp]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= bpp && y > 0 ? out[(y - 1) * stride + x - bpp]! : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) predictor = paeth(a, b, c);
      else if (filter !== 0) throw new Error(`unknown PNG filter ${filter}`);
      out[y * stride + x] = (line[x]! + predictor) & 0xff;
    }
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Alpha of every pixel (255 when the image has no alpha channel). */
function alphas(png: Png): number[] {
  const hasAlpha = png.colorType === 4 || png.colorType === 6;
  return Array.from({ length: png.width * png.height }, (_, i) => (hasAlpha ? png.pixels[i * png.channels + png.channels - 1]! : 255));
}

/** The largest colour sample of every pixel with any alpha (greyscale counts as colour). */
function colourOfVisiblePixels(png: Png): number[] {
  const colourChannels = png.colorType === 4 || png.colorType === 6 ? png.channels - 1 : png.channels;
  const a = alphas(png);
  const result: number[] = [];
  for (let i = 0; i < png.width * png.height; i++) {
    if (a[i] === 0) continue;
    result.push(Math.max(...png.pixels.subarray(i * png.channels, i * png.channels + colourChannels)));
  }
  return result;
}

function trayFile(state: string, template: boolean, scale: 1 | 2): string {
  return path.join(trayDir, `tray-${state}${template ? 'Template' : ''}${scale === 2 ? '@2x' : ''}.png`);
}

// --- tests -------------------------------------------------------------------------------------

describe('app icon', () => {
  it('is a 1024 px RGBA icon.png, large enough for .icns (512) and .ico (256)', () => {
    const png = readPng(path.join(resources, 'icon.png'));
    expect([png.width, png.height, png.colorType]).toEqual([1024, 1024, COLOR_TYPE_RGBA]);
    // The tile is inset with rounded corners: the corners must be see-through, not a white square.
    expect(png.pixels[3]).toBe(0);
    expect(png.pixels[png.pixels.length - 1]).toBe(0);
  });

  it.each(ICON_SIZES)('has icons/%ix%i.png at its size', (size) => {
    const png = readPng(path.join(resources, 'icons', `${size}x${size}.png`));
    expect([png.width, png.height, png.colorType]).toEqual([size, size, COLOR_TYPE_RGBA]);
    expect(alphas(png).some((a) => a === 255)).toBe(true);
  });

  it('has nothing else in icons/ (electron-builder takes every <n>x<n>.png there as a size)', () => {
    expect(readdirSync(path.join(resources, 'icons')).sort()).toEqual(ICON_SIZES.map((s) => `${s}x${s}.png`).sort());
  });

  it('keeps its SVG sources beside the PNGs', () => {
    for (const source of ['icon.svg', 'icon-small.svg', ...TRAY_STATES.map((s) => `tray-${s}.svg`), 'render-icons.mjs']) {
      expect(existsSync(path.join(resources, source)), source).toBe(true);
    }
  });
});

describe('tray icons', () => {
  it('has exactly a 1x and a 2x colour image and template image per state', () => {
    const expected = TRAY_STATES.flatMap((state) =>
      [false, true].flatMap((template) => ([1, 2] as const).map((scale) => path.basename(trayFile(state, template, scale)))),
    );
    expect(readdirSync(trayDir).sort()).toEqual(expected.sort());
  });

  describe.each(TRAY_STATES)('%s', (state) => {
    it.each([
      [false, 1, 16],
      [false, 2, 32],
      [true, 1, 16],
      [true, 2, 32],
    ] as const)('template=%s @%ix is %i px, with alpha, not empty', (template, scale, size) => {
      const png = readPng(trayFile(state, template, scale));
      expect([png.width, png.height]).toEqual([size, size]);
      expect([4, 6]).toContain(png.colorType);
      expect(alphas(png).filter((a) => a === 255).length).toBeGreaterThan(size);
    });

    it.each([1, 2] as const)('template @%ix is black plus alpha only', (scale) => {
      const png = readPng(trayFile(state, true, scale));
      expect(new Set(colourOfVisiblePixels(png))).toEqual(new Set([0]));
    });

    it('colour image is not black (it is drawn on dark taskbars and panels too)', () => {
      const png = readPng(trayFile(state, false, 1));
      expect(Math.max(...colourOfVisiblePixels(png))).toBeGreaterThan(96);
    });
  });

  it.each([1, 2] as const)('states differ in shape, not only in colour (@%ix templates)', (scale) => {
    const masks = TRAY_STATES.map((state) => alphas(readPng(trayFile(state, true, scale))));
    const size = 16 * scale;
    for (let i = 0; i < masks.length; i++) {
      for (let j = i + 1; j < masks.length; j++) {
        const differing = masks[i]!.filter((a, k) => Math.abs(a - masks[j]![k]!) > 128).length;
        // A dot, a slash or an exclamation mark, not a stray pixel: over 8 pixels at 16 px, 32 at 32 px.
        expect(differing, `${TRAY_STATES[i]} vs ${TRAY_STATES[j]}`).toBeGreaterThan((size * size) / 32);
      }
    }
  });
});
