/**
 * What a backend is and went through, as its owner and listeners see it: its lifecycle state
 * and the lifecycle events for the audit.
 */

/**
 * `stopped → starting → running ⇄ degraded`, and from any of them `error` or `stopped`.
 * `degraded`: running but missed a health ping (still routed; restarted if it keeps missing).
 * `error`: failed; {@link BackendState.nextRestartAt} says whether a restart is scheduled.
 */
export type BackendStatus = 'stopped' | 'starting' | 'running' | 'degraded' | 'error';

/** A backend's lifecycle state and why it is in it. */
export interface BackendState {
  status: BackendStatus;
  /** Why the last change happened (error message, exit code, "stopped by user", ...). */
  reason?: string;
  /** When the state last changed (ms since epoch). */
  since: number;
  /** Automatic restarts since the last start by the user or the gateway. */
  restarts?: number;
  /** When the scheduled automatic restart is due (ms since epoch); absent when none is scheduled. */
  nextRestartAt?: number;
  /** How the backend's process ended last time (stdio, shared isolation). */
  lastExit?: { code: number | null; signal: string | null; at: number };
}

/**
 * What happened to a backend, one event per fact, for the audit timeline and logs. State
 * changes say where a backend is; these say what it went through to get there.
 */
export type BackendLifecycleEvent =
  | {
      kind: 'start';
      server: string;
      at: number;
      pid?: number;
      restarts: number;
      /** Stdio: the command line that was run (the command resolved on PATH, then the args; secrets are never in it). */
      command?: string;
      /** Stdio: the working folder it ran in. */
      cwd?: string;
    }
  | { kind: 'exit'; server: string; at: number; pid?: number; code: number | null; signal: string | null; expected: boolean }
  | { kind: 'degraded'; server: string; at: number; reason: string }
  | { kind: 'recovered'; server: string; at: number }
  | { kind: 'restart'; server: string; at: number; reason: string; delayMs: number; attempt: number }
  | { kind: 'error'; server: string; at: number; reason: string }
  | { kind: 'stop'; server: string; at: number; reason: string };
