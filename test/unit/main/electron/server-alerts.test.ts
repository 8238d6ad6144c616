import { describe, expect, it } from 'vitest';
import { ServerAlerts, type ServerAlertsOptions } from '../../../../main/electron/server-alerts.js';
import type { ServerView } from '../../../../shared/control-api.js';
import { serverView } from './server-view.js';

const SEC = 1_000;
const MIN = 60_000;

/** Alerts over a clock that moves only when told. */
function setup(opts: Omit<ServerAlertsOptions, 'now'> = {}): { alerts: ServerAlerts; advance(ms: number): void } {
  let now = 1_000_000;
  return { alerts: new ServerAlerts({ ...opts, now: () => now }), advance: (ms) => void (now += ms) };
}

const running = (name: string): ServerView => serverView(name);
const starting = (name: string): ServerView => serverView(name, { status: 'starting' });
/** Failed and left in error: no restart scheduled. */
const failed = (name: string, reason = 'exited with code 1'): ServerView => serverView(name, { status: 'error', reason, lastError: reason });
/** Failed, with an automatic restart scheduled. */
const restarting = (name: string, restarts = 0): ServerView =>
  serverView(name, { status: 'error', reason: 'exited with code 1; restarting in 1 s', nextRestartAt: 2_000_000, restarts });

describe('ServerAlerts', () => {
  it('says nothing about servers already failing in the first list', () => {
    const { alerts } = setup();
    expect(alerts.update([failed('a'), failed('b')])).toEqual([]);
    expect(alerts.update([failed('a'), failed('b')])).toEqual([]);
  });

  it('announces a server that fails for good, with its reason', () => {
    const { alerts } = setup();
    alerts.update([running('memory')]);
    expect(alerts.update([failed('memory', 'exited with code 1 (stderr: cannot open db)')])).toEqual([
      { server: 'memory', title: 'memory stopped working', body: 'exited with code 1 (stderr: cannot open db)' },
    ]);
  });

  it('notifies once for two errors in a row', () => {
    const { alerts, advance } = setup();
    alerts.update([running('memory')]);
    expect(alerts.update([failed('memory')])).toHaveLength(1);
    advance(10 * MIN);
    expect(alerts.update([failed('memory', 'another reason')])).toEqual([]);
  });

  it('stays quiet while the supervisor is restarting a crashed server', () => {
    const { alerts } = setup();
    alerts.update([running('memory')]);
    expect(alerts.update([restarting('memory')])).toEqual([]);
    expect(alerts.update([starting('memory')])).toEqual([]);
    expect(alerts.update([running('memory')])).toEqual([]);
  });

  it('announces a crash loop once the restart policy gives up', () => {
    const { alerts, advance } = setup();
    alerts.update([running('memory')]);
    for (let i = 0; i < 5; i++) {
      expect(alerts.update([restarting('memory', i)])).toEqual([]);
      advance(2 * SEC);
      expect(alerts.update([starting('memory')])).toEqual([]);
    }
    const reason = 'exited with code 1; failed 6 times in 31 s; not restarting';
    expect(alerts.update([serverView('memory', { status: 'error', reason, restarts: 5 })])).toEqual([
      { server: 'memory', title: 'memory keeps crashing', body: `Gatehouse stopped restarting it: ${reason}` },
    ]);
  });

  it('says nothing when a server recovers or is stopped', () => {
    const { alerts, advance } = setup();
    alerts.update([running('a'), running('b')]);
    alerts.update([failed('a'), running('b')]);
    advance(10 * MIN);
    expect(alerts.update([starting('a'), serverView('b', { status: 'stopped' })])).toEqual([]);
    expect(alerts.update([running('a'), serverView('b', { status: 'disabled', enabled: false })])).toEqual([]);
  });

  it('asks for a sign-in when a remote server needs one', () => {
    const { alerts } = setup();
    alerts.update([starting('github')]);
    const [alert] = alerts.update([serverView('github', { status: 'error', needsAuth: true, reason: 'needs_auth: server "github" has no token' })]);
    expect(alert).toEqual({ server: 'github', title: 'github needs you to sign in', body: 'Open Gatehouse and choose Sign in.' });
  });

  it('announces one server at most once a minute', () => {
    const { alerts, advance } = setup();
    alerts.update([running('memory')]);
    expect(alerts.update([failed('memory')])).toHaveLength(1);
    advance(30 * SEC);
    alerts.update([starting('memory')]); // the user clicks Start; it fails again at once
    expect(alerts.update([failed('memory')])).toEqual([]);
    advance(31 * SEC);
    alerts.update([starting('memory')]);
    expect(alerts.update([failed('memory')])).toHaveLength(1);
  });

  it('announces at most three failures in five minutes overall', () => {
    const { alerts, advance } = setup();
    const names = ['a', 'b', 'c', 'd', 'e'];
    alerts.update(names.map(running));
    expect(alerts.update(names.map((n) => failed(n))).map((a) => a.server)).toEqual(['a', 'b', 'c']);
    advance(4 * MIN);
    alerts.update([running('d'), running('e')]);
    expect(alerts.update([failed('d'), running('e')])).toEqual([]);
    advance(1 * MIN);
    expect(alerts.update([running('d'), failed('e')]).map((a) => a.server)).toEqual(['e']);
  });

  it('takes other limits when given', () => {
    const { alerts, advance } = setup({ maxAlerts: 1, windowMs: 10 * MIN, perServerIntervalMs: 5 * MIN });
    alerts.update([running('a'), running('b')]);
    expect(alerts.update([failed('a'), failed('b')])).toHaveLength(1);
    advance(9 * MIN);
    alerts.update([running('a'), running('b')]);
    expect(alerts.update([failed('a'), running('b')])).toEqual([]);
    advance(1 * MIN);
    alerts.update([running('a'), running('b')]);
    expect(alerts.update([failed('a'), running('b')])).toHaveLength(1);
  });

  it('treats a server that comes back into the list as new (gateway restarted, server re-added)', () => {
    const { alerts } = setup();
    alerts.update([running('memory')]);
    alerts.update([]);
    expect(alerts.update([failed('memory')])).toEqual([]);
  });

  it('announces a server added later once it fails', () => {
    const { alerts } = setup();
    alerts.update([running('a')]);
    alerts.update([running('a'), starting('new')]);
    expect(alerts.update([running('a'), failed('new')]).map((a) => a.title)).toEqual(['new stopped working']);
  });

  it('keeps a long reason short enough for a notification', () => {
    const { alerts } = setup();
    alerts.update([running('a')]);
    const [alert] = alerts.update([failed('a', 'x'.repeat(1000))]);
    expect(alert!.body.length).toBeLessThanOrEqual(200);
  });
});
