/**
 * The warning `secrets set` gives too: a new value that starts with the auth scheme a header
 * already writes before the reference (`Bearer ${secret:x}` given `Bearer abc`). Pure.
 */
import type { SecretUse } from '../../../../shared/control-api.js';

/** The scheme written twice, and where, or `undefined` when the value is fine. */
export function doubledScheme(uses: readonly SecretUse[], value: string): { scheme: string; where: string } | undefined {
  for (const use of uses) {
    if (use.scheme && value.toLowerCase().startsWith(`${use.scheme.toLowerCase()} `)) {
      return { scheme: use.scheme, where: `${use.field} of ${use.server}` };
    }
  }
  return undefined;
}
