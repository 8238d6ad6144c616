/**
 * electron-builder.yml, checked for what a user or maintainer of the packaged app would notice:
 * the fuses, asar, the targets per platform, what goes into the app (by electron-builder's own
 * file matcher), the files the config points at, the app's identity, and the config's validity
 * against electron-builder's own schema. Nothing here needs the Electron binary or the network.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PRODUCT_NAME } from '../../../../main/core/config/data-dir.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const require = createRequire(import.meta.url);

type Target = string | { target: string; arch?: string[] };
interface PlatformConfig {
  target?: Target | Target[];
  icon?: string;
  [key: string]: unknown;
}
interface BuilderConfig {
  appId?: string;
  productName?: string;
  asar?: boolean;
  files?: string[];
  directories?: { buildResources?: string; output?: string };
  extraMetadata?: Record<string, unknown>;
  electronFuses?: Record<string, boolean>;
  publish?: unknown;
  mac?: PlatformConfig & { hardenedRuntime?: boolean; entitlements?: string; entitlementsInherit?: string; extendInfo?: Record<string, unknown> };
  win?: PlatformConfig;
  nsis?: Record<string, unknown>;
  linux?: PlatformConfig & { maintainer?: string; synopsis?: string; category?: string };
  [key: string]: unknown;
}

function loadConfig(): BuilderConfig {
  return parse(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
}

const config = loadConfig();
const packageJson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
const buildResources = path.join(root, config.directories?.buildResources ?? 'build');

function targetNames(platform: PlatformConfig | undefined): string[] {
  const targets = platform?.target === undefined ? [] : Array.isArray(platform.target) ? platform.target : [platform.target];
  return targets.map((t) => (typeof t === 'string' ? t : t.target));
}

// --- electron-builder's own code (CommonJS, partly internal: loaded untyped) ------------------

interface Filter {
  (file: string, stat: { isDirectory(): boolean }): boolean;
}
interface FileMatcherModule {
  /** What electron-builder uses to pick the app's files: `files` plus its default exclusions. */
  getMainFileMatchers(
    appDir: string,
    destination: string,
    macroExpander: (pattern: string) => string,
    platformSpecificBuildOptions: object,
    platformPackager: object,
    outDir: string,
    isElectronCompile: boolean,
  ): Array<{ createFilter(): Filter }>;
}
interface ConfigModule {
  validateConfiguration(config: object, debugLogger: { isEnabled: boolean; add(key: string, value: unknown): void }): Promise<void>;
}

const fileMatcher = require('app-builder-lib/out/fileMatcher.js') as FileMatcherModule;
const builderConfig = require('app-builder-lib/out/util/config/config.js') as ConfigModule;

/**
 * Whether electron-builder would pack `relativePath` (posix) into app.asar: every folder on the
 * way and the file itself must pass the filter, as when it walks the project.
 */
function packs(relativePath: string): boolean {
  const fresh = loadConfig(); // getMainFileMatchers adds its defaults to the pattern list it is given
  const [matcher] = fileMatcher.getMainFileMatchers(
    root,
    '/app',
    (pattern) => pattern,
    {},
    { info: { projectDir: root, buildResourcesDir: buildResources, isPrepackedAppAsar: false, config: fresh, debugLogger: { isEnabled: false } } },
    path.join(root, fresh.directories?.output ?? 'dist'),
    false,
  );
  const filter = matcher!.createFilter();
  const parts = relativePath.split('/');
  return parts.every((_, i) => {
    const isDirectory = i < parts.length - 1;
    return filter(path.join(root, ...parts.slice(0, i + 1)), { isDirectory: () => isDirectory });
  });
}

const silentLogger = { isEnabled: false, add: (): void => {} };

// --- tests -------------------------------------------------------------------------------------

describe('electron-builder.yml', () => {
  it('names the app so that its data dir is the one the headless gateway uses', () => {
    expect(config.appId).toBe('dev.gatehouse.app');
    expect(config.productName).toBe(PRODUCT_NAME);
  });

  it('is valid for electron-builder (its own schema check)', async () => {
    await expect(builderConfig.validateConfiguration(loadConfig(), silentLogger)).resolves.toBeUndefined();
  });

  it('would be refused with a misspelled key, so the check above means something', async () => {
    const misspelled = loadConfig();
    misspelled.mac = { ...misspelled.mac, hardendRuntime: true };
    await expect(builderConfig.validateConfiguration(misspelled, silentLogger)).rejects.toThrow(/configuration\.mac /);
  });

  it('packs the app into asar and flips the security fuses', () => {
    expect(config.asar).toBe(true);
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('publishes nothing and has no auto-updater', () => {
    expect(config).toHaveProperty('publish', null);
    const dependencies = { ...(packageJson.dependencies as object), ...(packageJson.devDependencies as object) };
    expect(Object.keys(dependencies)).not.toContain('electron-updater');
  });

  it('builds dmg + zip on macOS, nsis on Windows, AppImage + deb on Linux', () => {
    expect(targetNames(config.mac).sort()).toEqual(['dmg', 'zip']);
    expect(targetNames(config.win)).toEqual(['nsis']);
    expect(targetNames(config.linux).sort()).toEqual(['AppImage', 'deb']);
  });

  it('signs macOS builds with the hardened runtime and runs as a menu-bar app', () => {
    expect(config.mac?.hardenedRuntime).toBe(true);
    expect(config.mac?.entitlements).toBe('main/electron/resources/entitlements.mac.plist');
    // Without it the helpers would be signed with electron-builder's broader default template.
    expect(config.mac?.entitlementsInherit).toBe(config.mac?.entitlements);
    expect(config.mac?.extendInfo?.LSUIElement).toBe(true);
  });

  it('grants only the JIT entitlement', () => {
    const plist = readFileSync(path.join(root, config.mac!.entitlements!), 'utf8');
    const keys = [...plist.replace(/<!--[\s\S]*?-->/g, '').matchAll(/<key>([^<]+)<\/key>\s*<(true|false)\/>/g)].map((m) => [m[1], m[2]]);
    expect(keys).toEqual([['com.apple.security.cs.allow-jit', 'true']]);
  });

  it('gives the deb what it requires: a maintainer with an email, a homepage, a synopsis', () => {
    expect(config.linux?.maintainer).toMatch(/^[^<>]+ <[^<>\s]+@[^<>\s]+>$/);
    const homepage = config.extraMetadata?.homepage ?? packageJson.homepage;
    expect(homepage).toMatch(/^https:\/\//);
    expect(config.linux?.synopsis).toBeTruthy();
    expect(config.linux?.category).toBe('Development');
  });

  it('points only at files that exist', () => {
    expect(statSync(buildResources).isDirectory()).toBe(true);
    for (const file of [config.mac?.entitlements, config.mac?.entitlementsInherit]) {
      // Handed to @electron/osx-sign as is, so relative to the project, not to buildResources.
      expect(existsSync(path.join(root, file!)), file).toBe(true);
    }
    for (const icon of [config.mac?.icon, config.win?.icon]) {
      expect(existsSync(path.join(buildResources, icon!)), icon).toBe(true);
    }
    const linuxIcons = path.join(buildResources, config.linux!.icon!);
    expect(readdirSync(linuxIcons).filter((name) => /^\d+x\d+\.png$/.test(name)).length).toBeGreaterThan(0);
    expect(readdirSync(path.join(root, 'main/electron/resources/tray')).length).toBeGreaterThan(0);
  });

  it('lists only compiled output, package.json and the tray icons', () => {
    const includes = config.files!.filter((pattern) => !pattern.startsWith('!'));
    expect(includes).toEqual(['package.json', 'dist/main/**', 'dist/shared/**', 'dist/preload/**', 'dist/renderer/**', 'main/electron/resources/tray/**']);
  });

  it.each([
    'package.json',
    'dist/main/electron/main.js',
    'dist/main/cli.js',
    'dist/main/core/gateway.js',
    'dist/shared/control-api.js',
    'dist/preload/preload.cjs',
    'dist/renderer/index.html',
    'dist/renderer/assets/index-3f2a1b.js',
    'main/electron/resources/tray/tray-running.png',
    'main/electron/resources/tray/tray-errorTemplate@2x.png',
  ])('packs %s', (file) => {
    expect(packs(file)).toBe(true);
  });

  it.each([
    // sources
    'main/electron/main.ts',
    'main/core/gateway.ts',
    'shared/control-api.ts',
    'preload/preload.ts',
    'renderer/index.html',
    'renderer/src/app.tsx',
    // build resources other than the tray icons
    'main/electron/resources/icon.png',
    'main/electron/resources/icon.svg',
    'main/electron/resources/icons/512x512.png',
    'main/electron/resources/entitlements.mac.plist',
    'main/electron/resources/render-icons.mjs',
    'main/electron/resources/tray-running.svg',
    // maps, tests, benchmark, docs, configs, earlier builds
    'dist/main/electron/main.js.map',
    'dist/renderer/assets/index-3f2a1b.js.map',
    'dist/main/core/gateway.d.ts',
    'dist/test/unit/layering.test.js',
    'dist/bench/run.js',
    'test/unit/layering.test.ts',
    'bench/run.ts',
    'out/bench/bench/run.js',
    'docs/screenshots/servers.png',
    'README.md',
    'tsconfig.json',
    'vite.config.ts',
    'electron-builder.yml',
    'test-artifacts/report.html',
    'release/linux-unpacked/gatehouse',
  ])('leaves out %s', (file) => {
    expect(packs(file)).toBe(false);
  });
});
