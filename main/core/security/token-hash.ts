/** How tokens are kept: only their SHA-256, never the token itself. */
import { createHash } from 'node:crypto';

/** SHA-256 of a token: what the gateway keeps instead of the token itself. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
