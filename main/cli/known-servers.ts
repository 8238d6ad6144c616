/**
 * Server names a command is given (`--server`, `--servers a,b`) checked against the registry of
 * the data dir, so a typo is caught where it is typed rather than as a token or a snippet that
 * silently reaches nothing.
 */
import { didYouMean } from '../../shared/spelling.js';
import { Registry } from '../core/config/registry.js';

/** The server names in `dataDir`'s registry, in registry order (a valid file is only read). */
export async function registeredServerNames(dataDir: string): Promise<string[]> {
  const registry = await Registry.open(dataDir);
  try {
    return registry.list().map((entry) => entry.name);
  } finally {
    registry.dispose();
  }
}

/**
 * The lines that report `names` missing from `known`, each with a suggestion where one is close,
 * then what the registry has; `[]` when every name is known.
 */
export function unknownServerLines(command: string, names: readonly string[], known: readonly string[]): string[] {
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length === 0) return [];
  return [
    ...unknown.map((name) => `gatehouse ${command}: unknown server "${name}"${didYouMean(name, known)}`),
    known.length === 0 ? 'The registry has no servers.' : `The registry has: ${known.join(', ')}.`,
  ];
}
