/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function and per
 * file (node_modules collapsed to their package), the idle and GC shares.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Busy = everything but (idle) and (program)... kept apart: the share the process was working. */
  busyMs: number;
  gcMs: number;
  functions: Array<{ name: string; where: string; selfMs: number; pct: number }>;
  files: Array<{ where: string; selfMs: number; pct: number }>;
  /** Gatehouse's own functions (main/, shared/) by total time: their own plus everything they call. */
  ownTotal: Array<{ name: string; where: string; selfMs: number; pct: number }>;
  /**
   * Every sample charged to the innermost Gatehouse function on its stack: what each function
   * costs including the library code it calls, without double counting nested Gatehouse calls.
   */
  ownAttributed: Array<{ name: string; where: string; selfMs: number; pct: number }>;
}

/** `node_modules/@scope/pkg/...` → `@scope/pkg`; project files relative to `root`. */
function fileOf(url: string, root: string): string {
  if (url === '') return '(native)';
  const file = url.startsWith('file://') ? new URL(url).pathname : url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = file.slice(nm + '/node_modules/'.length).split('/');
    return `npm:${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (file.startsWith('node:') || !file.startsWith('/')) return file;
  return path.relative(root, file);
}

export async function summarizeProfile(file: string, root: string, top = 25): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const totalUs = profile.endTime - profile.startTime;
  let idleUs = 0;
  let gcUs = 0;
  const fns = new Map<string, { name: string; where: string; us: number }>();
  const files = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    if (frame.functionName === '(garbage collector)') gcUs += us;
    const where = fileOf(frame.url, root);
    const key = `${frame.functionName}|${frame.url}|${frame.lineNumber}`;
    const entry = fns.get(key) ?? { name: frame.functionName || '(anonymous)', where: frame.url ? `${where}:${frame.lineNumber + 1}` : where, us: 0 };
    entry.us += us;
    fns.set(key, entry);
    files.set(where, (files.get(where) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  // Stacks: parent links, then per sample the Gatehouse frames on the stack.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const isOwn = (url: string): boolean => /\/(main|shared)\//.test(url) && !url.includes('/node_modules/');
  const label = (node: ProfileNode): { key: string; name: string; where: string } => ({
    key: `${node.callFrame.functionName}|${node.callFrame.url}|${node.callFrame.lineNumber}`,
    name: node.callFrame.functionName || '(anonymous)',
    where: `${fileOf(node.callFrame.url, root)}:${node.callFrame.lineNumber + 1}`,
  });
  const total = new Map<string, { name: string; where: string; us: number }>();
  const attributed = new Map<string, { name: string; where: string; us: number }>();
  for (const [id, us] of selfUs) {
    if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
    const seen = new Set<string>();
    let innermost = true;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at)!;
      if (!isOwn(node.callFrame.url)) continue;
      const l = label(node);
      if (innermost) {
        const a = attributed.get(l.key) ?? { name: l.name, where: l.where, us: 0 };
        a.us += us;
        attributed.set(l.key, a);
        innermost = false;
      }
      if (seen.has(l.key)) continue;
      seen.add(l.key);
      const t = total.get(l.key) ?? { name: l.name, where: l.where, us: 0 };
      t.us += us;
      total.set(l.key, t);
    }
  }
  const rank = (m: Map<string, { name: string; where: string; us: number }>): ProfileSummary['ownTotal'] =>
    [...m.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: f.us / 1000, pct: (100 * f.us) / Math.max(1, busyUs) }));
  const pct = (us: number): number => (busyUs > 0 ? (100 * us) / busyUs : 0);
  return {
    file,
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    gcMs: gcUs / 1000,
    functions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: f.us / 1000, pct: pct(f.us) })),
    files: [...files.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([where, us]) => ({ where, selfMs: us / 1000, pct: pct(us) })),
    ownTotal: rank(total),
    ownAttributed: rank(attributed),
  };
}

export function formatProfile(label: string, s: ProfileSummary): string {
  const lines = [
    `### ${label}: ${s.busyMs.toFixed(0)} ms busy of ${s.totalMs.toFixed(0)} ms (GC ${s.gcMs.toFixed(0)} ms)`,
    '',
    'Self time by file or package:',
    '',
    ...s.files.slice(0, 15).map((f) => `  ${f.pct.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.where}`),
    '',
    'Self time by function:',
    '',
    ...s.functions.map((f) => `  ${f.pct.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.name}  (${f.where})`),
    '',
    "Gatehouse's functions by total time (own + callees):",
    '',
    ...s.ownTotal.map((f) => `  ${f.pct.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.name}  (${f.where})`),
    '',
    'Samples charged to the innermost Gatehouse function on the stack (library code included):',
    '',
    ...s.ownAttributed.map((f) => `  ${f.pct.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.name}  (${f.where})`),
    '',
  ];
  return lines.join('\n');
}
