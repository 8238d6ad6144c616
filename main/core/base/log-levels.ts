import type { LoggingLevel } from '@modelcontextprotocol/client';

/** MCP (syslog) log levels, from the most to the least verbose. */
const MCP_LOG_LEVELS: readonly LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/** Whether a message at `level` is less severe than `minimum`, i.e. a client at `minimum` does not want it. */
export function isBelowLevel(level: LoggingLevel, minimum: LoggingLevel): boolean {
  return MCP_LOG_LEVELS.indexOf(level) < MCP_LOG_LEVELS.indexOf(minimum);
}
