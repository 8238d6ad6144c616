import { describe, expect, it } from 'vitest';
import { formatDuration, RestartPolicy } from '../../../../../main/core/backends/backoff.js';

const SEC = 1_000;
const MIN = 60_000;

describe('RestartPolicy', () => {
  it('doubles the delay from 1 s up to 60 s', () => {
    const policy = new RestartPolicy(100, { jitter: 0 });
    const delays: number[] = [];
    let now = 0;
    for (let i = 0; i < 9; i++) {
      const decision = policy.onFailure(now);
      if (!decision.restart) throw new Error('gave up');
      delays.push(decision.delayMs);
      now += decision.delayMs + 10; // each restart fails again at once
    }
    expect(delays).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60].map((s) => s * SEC));
  });

  it('spreads each delay by the jitter fraction, both ways', () => {
    const low = new RestartPolicy(5, { jitter: 0.2 }, () => 0);
    const high = new RestartPolicy(5, { jitter: 0.2 }, () => 0.999_999);
    const mid = new RestartPolicy(5, { jitter: 0.2 }, () => 0.5);
    expect(low.onFailure(0)).toMatchObject({ restart: true, delayMs: 800 });
    expect(high.onFailure(0)).toMatchObject({ restart: true, delayMs: 1200 });
    expect(mid.onFailure(0)).toMatchObject({ restart: true, delayMs: 1000 });
  });

  it('never exceeds the maximum delay, jitter included', () => {
    const policy = new RestartPolicy(1_000, { jitter: 0.5, windowMs: 1 }, () => 0.999);
    let last = 0;
    for (let i = 0; i < 20; i++) {
      const d = policy.onFailure(i * 10);
      if (d.restart) last = d.delayMs;
    }
    expect(last).toBe(60 * SEC);
  });

  it('gives up when more than maxRestarts failures fall within the window, and says so', () => {
    const policy = new RestartPolicy(5, { jitter: 0 });
    const decisions = [0, 10, 20, 30, 40, 120 * SEC].map((at) => policy.onFailure(at));
    expect(decisions.slice(0, 5).every((d) => d.restart)).toBe(true);
    expect(decisions[5]).toEqual({ restart: false, reason: 'failed 6 times in 2 min; not restarting' });
  });

  it('forgets failures that slid out of the window', () => {
    const policy = new RestartPolicy(2, { jitter: 0, windowMs: 10 * MIN });
    expect(policy.onFailure(0).restart).toBe(true);
    expect(policy.onFailure(1 * MIN).restart).toBe(true);
    expect(policy.onFailure(10.5 * MIN).restart).toBe(true); // the one at 0 is out of the window
    expect(policy.failuresInWindow).toBe(2);
    expect(policy.onFailure(10.5 * MIN + 1).restart).toBe(false);
  });

  it('starts the delay over after a run that stayed healthy for 5 minutes', () => {
    const policy = new RestartPolicy(100, { jitter: 0 });
    policy.onFailure(0);
    policy.onFailure(2 * SEC);
    policy.onRunning(10 * SEC);
    // A short healthy run keeps the series going...
    expect(policy.onFailure(20 * SEC)).toMatchObject({ delayMs: 4 * SEC, attempt: 3 });
    policy.onRunning(30 * SEC);
    // ...a run of 5 minutes resets it.
    expect(policy.onFailure(30 * SEC + 5 * MIN)).toMatchObject({ delayMs: 1 * SEC, attempt: 1 });
  });

  it('maxRestarts 0 gives up at the first failure', () => {
    expect(new RestartPolicy(0).onFailure(0)).toEqual({ restart: false, reason: 'failed 1 time in 0 ms; not restarting' });
  });

  it('reset() forgets everything', () => {
    const policy = new RestartPolicy(1, { jitter: 0 });
    policy.onFailure(0);
    policy.reset();
    expect(policy.onFailure(1)).toMatchObject({ restart: true, delayMs: 1 * SEC });
  });
});

describe('formatDuration', () => {
  it('picks a unit a status line can show', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_400)).toBe('12 s');
    expect(formatDuration(180_000)).toBe('3 min');
  });
});
