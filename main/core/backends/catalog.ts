/**
 * What a backend offers (tools, prompts, resources) and how it is read: every page of each list
 * its capabilities announce, once per start and again, per kind, on its list_changed
 * notification.
 */
import type {
  Client,
  Implementation,
  Prompt,
  Resource,
  ResourceTemplateType as ResourceTemplate,
  ServerCapabilities,
  Tool,
} from '@modelcontextprotocol/client';

/** What a backend offers, fetched once per start and refreshed on list_changed. */
export interface Catalog {
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
  capabilities: ServerCapabilities;
  serverVersion?: Implementation;
  instructions?: string;
}

/** The notification that says each kind of list changed. */
export const LIST_CHANGED = {
  tools: 'notifications/tools/list_changed',
  prompts: 'notifications/prompts/list_changed',
  resources: 'notifications/resources/list_changed',
} as const;

export type CatalogKind = keyof typeof LIST_CHANGED;
export const CATALOG_KINDS: readonly CatalogKind[] = ['tools', 'prompts', 'resources'];

type Lists = Pick<Catalog, 'tools' | 'prompts' | 'resources' | 'resourceTemplates'>;

/** The whole catalog of a connected client's server. */
export async function readCatalog(client: Client): Promise<Catalog> {
  const capabilities = client.getServerCapabilities() ?? {};
  const lists = await readLists(client, capabilities, CATALOG_KINDS);
  const serverVersion = client.getServerVersion();
  const instructions = client.getInstructions();
  return {
    tools: [],
    prompts: [],
    resources: [],
    resourceTemplates: [],
    ...lists,
    capabilities,
    ...(serverVersion ? { serverVersion } : {}),
    ...(instructions ? { instructions } : {}),
  };
}

/** The lists of `kinds` that `capabilities` announce (resources bring their templates). */
export async function readLists(client: Client, capabilities: ServerCapabilities, kinds: readonly CatalogKind[]): Promise<Partial<Lists>> {
  const wanted = (kind: CatalogKind): boolean => kinds.includes(kind) && Boolean(capabilities[kind]);
  const [tools, prompts, resources, resourceTemplates] = await Promise.all([
    wanted('tools') ? listAll<Tool>(client, 'tools/list', 'tools') : undefined,
    wanted('prompts') ? listAll<Prompt>(client, 'prompts/list', 'prompts') : undefined,
    wanted('resources') ? listAll<Resource>(client, 'resources/list', 'resources') : undefined,
    wanted('resources') ? listAll<ResourceTemplate>(client, 'resources/templates/list', 'resourceTemplates') : undefined,
  ]);
  return {
    ...(tools ? { tools } : {}),
    ...(prompts ? { prompts } : {}),
    ...(resources ? { resources } : {}),
    ...(resourceTemplates ? { resourceTemplates } : {}),
  };
}

type ListMethod = 'tools/list' | 'prompts/list' | 'resources/list' | 'resources/templates/list';

/** Reads every page of a list (bounded, in case a server hands out cursors forever). */
async function listAll<T>(client: Client, method: ListMethod, key: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = (await client.request({ method, params: cursor ? { cursor } : {} })) as Record<string, unknown>;
    items.push(...((result[key] as T[] | undefined) ?? []));
    cursor = result.nextCursor as string | undefined;
    if (!cursor) break;
  }
  return items;
}
