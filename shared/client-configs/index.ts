/**
 * Client-config generators (issue 9): see {@link generate}. Runs in every process.
 */
export * from './types.js';
export { generate, listClients, isClientId, clientTitle, endpointUrl, DEFAULT_ENTRY_NAME, DEEP_LINK_SCHEMES, DEFAULT_TOKEN_ENV_VAR, TOKEN_PLACEHOLDER, GATEHOUSE_PLACEHOLDER } from './generate.js';
export { shellQuote, shellCommand } from './format.js';
export { endpointToolNames, type EndpointScope, type ListedTool } from './endpoint-tools.js';
