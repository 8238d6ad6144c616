/**
 * A token's rules as the create form holds them, turned into the API's ACL, and a preview of
 * which tools they let through. Pure, unit-tested.
 */
import type { TokenAcl, ToolView } from '../../../../shared/control-api.js';

export interface TokenRulesForm {
  /** `all`: every server, now and later; `some`: only {@link servers}. */
  scope: 'all' | 'some';
  servers: string[];
  /** Glob patterns, one per line or comma-separated. */
  allow: string;
  block: string;
}

/** Patterns typed one per line (or separated by commas), blanks dropped. */
export function patternList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((p) => p.trim())
    .filter(Boolean);
}

/** The ACL the form describes, or what is wrong with it. */
export function aclFromForm(form: TokenRulesForm): { ok: true; acl: TokenAcl } | { ok: false; problem: string } {
  if (form.scope === 'some' && form.servers.length === 0) return { ok: false, problem: 'Pick at least one server, or choose "All servers".' };
  const allow = patternList(form.allow);
  const block = patternList(form.block);
  const toolFilter = { ...(allow.length > 0 ? { allow } : {}), ...(block.length > 0 ? { block } : {}) };
  return {
    ok: true,
    acl: { servers: form.scope === 'all' ? '*' : [...form.servers], ...(allow.length > 0 || block.length > 0 ? { toolFilter } : {}) },
  };
}

/**
 * A glob as a regular expression, for the preview: `*` (and `**`) any run of characters, `?` one,
 * `[...]` a class, `{a,b}` alternatives, `\` escapes; case-sensitive, as the gateway matches.
 * The gateway's own matcher (picomatch) decides; extglobs are not previewed.
 */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  let inBraces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) out += `\\${glob[++i]}`;
    else if (c === '*') {
      while (glob[i + 1] === '*') i++;
      out += '.*';
    } else if (c === '?') out += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) out += '\\[';
      else {
        out += `[${glob.slice(i + 1, end).replace(/^!/, '^')}]`;
        i = end;
      }
    } else if (c === '{') {
      inBraces++;
      out += '(?:';
    } else if (c === '}' && inBraces > 0) {
      inBraces--;
      out += ')';
    } else if (c === ',' && inBraces > 0) out += '|';
    else out += c.replace(/[.+^$()|\]\\/]/g, '\\$&');
  }
  try {
    return new RegExp(`^${out}$`);
  } catch {
    return /$^/;
  }
}

/** The tools (of the servers the ACL covers, that their own filters let through) the token would see. */
export function toolsFor(acl: TokenAcl, tools: readonly ToolView[]): ToolView[] {
  const allow = (acl.toolFilter?.allow ?? []).map(globToRegExp);
  const block = (acl.toolFilter?.block ?? []).map(globToRegExp);
  return tools.filter(
    (t) =>
      t.enabled &&
      (acl.servers === '*' || acl.servers.includes(t.server)) &&
      (allow.length === 0 || allow.some((r) => r.test(t.name))) &&
      !block.some((r) => r.test(t.name)),
  );
}

/** A token's rules in a few words, for the list. */
export function describeRules(acl: TokenAcl): string {
  const parts: string[] = [];
  if (acl.toolFilter?.allow?.length) parts.push(`only ${acl.toolFilter.allow.join(', ')}`);
  if (acl.toolFilter?.block?.length) parts.push(`not ${acl.toolFilter.block.join(', ')}`);
  return parts.join('; ') || 'all tools';
}
