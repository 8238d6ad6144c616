/**
 * Switching one tool on or off by editing the server's `toolFilter`: off adds the exact name
 * to `block`; on removes it from `block` and, when an `allow` list exists, adds it there.
 * A tool still hidden after that is blocked by a pattern, which the caller reports.
 */
export interface ToolFilter {
  allow?: string[];
  block?: string[];
}

export function toggleTool(filter: ToolFilter | undefined, tool: string, enabled: boolean): ToolFilter | undefined {
  let allow = filter?.allow ? [...filter.allow] : undefined;
  let block = filter?.block ? [...filter.block] : undefined;
  if (enabled) {
    block = block?.filter((p) => p !== tool);
    if (allow && allow.length > 0 && !allow.includes(tool)) allow = [...allow, tool];
  } else if (!block?.includes(tool)) {
    block = [...(block ?? []), tool];
  }
  return normalize({ ...(allow ? { allow } : {}), ...(block ? { block } : {}) });
}

/** Every tool of a server on (`undefined`: no filter) or off (all names blocked). */
export function setAllTools(tools: readonly string[], enabled: boolean): ToolFilter | undefined {
  return enabled ? undefined : { block: [...tools] };
}

function normalize(filter: ToolFilter): ToolFilter | undefined {
  const out: ToolFilter = {};
  if (filter.allow && filter.allow.length > 0) out.allow = filter.allow;
  if (filter.block && filter.block.length > 0) out.block = filter.block;
  return out.allow || out.block ? out : undefined;
}
