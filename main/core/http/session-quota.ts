import type { ServerResponse } from 'node:http';
import { sendJsonRpcError } from './body.js';

/** One open session's place in the {@link SessionQuota}; released once, when the session ends. */
export interface SessionSlot {
  release(): void;
}

/** Who a session belongs to: the client token's id, and its name for messages. */
export interface SessionOwner {
  id: string;
  name: string;
}

/** The limits a {@link SessionQuota} enforces (absent: no limit). */
export interface SessionLimits {
  maxSessions?: number;
  maxSessionsPerToken?: number;
}

/**
 * Counts every open client session of the gateway, whatever its kind (aggregate, bridged,
 * pass-through; streamable HTTP or legacy SSE), in total and per token, so that one token cannot
 * take every slot: a token gets at most `maxSessionsPerToken`, the gateway `maxSessions`.
 */
export class SessionQuota {
  readonly #perOwner = new Map<string, number>();
  #total = 0;

  constructor(private readonly limits: Readonly<SessionLimits>) {}

  /** Open sessions, all kinds together. */
  get size(): number {
    return this.#total;
  }

  /** Open sessions of one token. */
  countOf(ownerId: string): number {
    return this.#perOwner.get(ownerId) ?? 0;
  }

  /** A slot for one more session of `owner`, or the refusal that names the limit reached. */
  reserve(owner: SessionOwner): SessionSlot | { refused: string } {
    const { maxSessions, maxSessionsPerToken } = this.limits;
    if (maxSessions !== undefined && this.#total >= maxSessions) {
      return { refused: `too many open sessions (the limit is ${maxSessions}, maxSessions); close a session or try again later` };
    }
    const mine = this.countOf(owner.id);
    if (maxSessionsPerToken !== undefined && mine >= maxSessionsPerToken) {
      return {
        refused: `too many open sessions for token "${owner.name}" (its limit is ${maxSessionsPerToken}, maxSessionsPerToken); close one or try again later`,
      };
    }
    this.#total++;
    this.#perOwner.set(owner.id, mine + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#total--;
        const left = this.countOf(owner.id) - 1;
        if (left > 0) this.#perOwner.set(owner.id, left);
        else this.#perOwner.delete(owner.id);
      },
    };
  }
}

/** Answers a session the quota refused: 503 with `Retry-After` and the limit named. */
export function sendSessionRefusal(res: ServerResponse, message: string): void {
  res.setHeader('retry-after', '30');
  sendJsonRpcError(res, 503, -32000, message);
}
