/**
 * Which server changes deserve a native notification. A tray app that pops up on every flap is
 * turned off by its user, so this stays quiet:
 *
 * - it speaks only when the gateway has stopped trying: a server lands in `error` with no
 *   automatic restart scheduled (`nextRestartAt` absent). A crash the supervisor is already
 *   restarting is not news yet; if it keeps crashing, the restart policy gives up
 *   (`...; failed N times in T; not restarting`, see `core/backends/backoff.ts`), which is the
 *   crash loop and is announced as such;
 * - a server's first sighting is its baseline: one already failing when first listed is shown
 *   by the tray icon, not announced. The gateway lists its servers before it starts them, so a
 *   server that fails while starting (at login too, where the app starts hidden and this is the
 *   only word the user gets) is announced; disabling it silences it;
 * - never on recovery, and at most one alert per server per minute and three per five minutes
 *   overall (a network outage fails every remote server at once). Alerts over the limit are
 *   dropped, not queued: the icon and the window still show the state.
 */
import type { ServerView } from '../../shared/control-api.js';

export interface Alert {
  server: string;
  title: string;
  body: string;
}

export interface ServerAlertsOptions {
  now?: () => number;
  /** Minimum time between two alerts about one server. Default one minute. */
  perServerIntervalMs?: number;
  /** At most this many alerts per {@link windowMs}. Default 3. */
  maxAlerts?: number;
  /** Default five minutes. */
  windowMs?: number;
}

/** The restart policy's give-up wording (`RestartPolicy.onFailure`). */
const CRASH_LOOP = /not restarting$/;
const BODY_MAX = 200;

export class ServerAlerts {
  readonly #now: () => number;
  readonly #perServerMs: number;
  readonly #maxAlerts: number;
  readonly #windowMs: number;
  #last = new Map<string, ServerView>();
  #sentAt: number[] = [];
  #lastAlertAt = new Map<string, number>();

  constructor(opts: Readonly<ServerAlertsOptions> = {}) {
    this.#now = opts.now ?? Date.now;
    this.#perServerMs = opts.perServerIntervalMs ?? 60_000;
    this.#maxAlerts = opts.maxAlerts ?? 3;
    this.#windowMs = opts.windowMs ?? 5 * 60_000;
  }

  /** Takes the current server list (after every change) and answers the alerts to show now. */
  update(servers: readonly ServerView[]): Alert[] {
    const alerts: Alert[] = [];
    const current = new Map<string, ServerView>();
    for (const server of servers) {
      current.set(server.name, server);
      const before = this.#last.get(server.name);
      if (before === undefined || !isGivenUp(server) || isGivenUp(before)) continue;
      if (this.#admit(server.name)) alerts.push(describe(server));
    }
    // Servers no longer listed (removed, or the gateway stopped) are forgotten: they come back as new.
    this.#last = current;
    return alerts;
  }

  #admit(server: string): boolean {
    const now = this.#now();
    this.#sentAt = this.#sentAt.filter((at) => now - at < this.#windowMs);
    for (const [name, at] of this.#lastAlertAt) if (now - at >= this.#perServerMs) this.#lastAlertAt.delete(name);
    if (this.#lastAlertAt.has(server) || this.#sentAt.length >= this.#maxAlerts) return false;
    this.#sentAt.push(now);
    this.#lastAlertAt.set(server, now);
    return true;
  }
}

/** In `error` and left there: no automatic restart is coming. */
function isGivenUp(server: ServerView): boolean {
  return server.status === 'error' && server.nextRestartAt === undefined;
}

function describe(server: ServerView): Alert {
  const reason = server.reason ?? server.lastError ?? 'no reason given';
  const body = (text: string): string => (text.length <= BODY_MAX ? text : `${text.slice(0, BODY_MAX - 1)}…`);
  if (server.needsAuth) return { server: server.name, title: `${server.name} needs you to sign in`, body: 'Open Gatehouse and choose Sign in.' };
  if (CRASH_LOOP.test(reason)) {
    return { server: server.name, title: `${server.name} keeps crashing`, body: body(`Gatehouse stopped restarting it: ${reason}`) };
  }
  return { server: server.name, title: `${server.name} stopped working`, body: body(reason) };
}
