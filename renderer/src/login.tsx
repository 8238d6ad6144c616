import { useState, type FormEvent, type ReactElement, type ReactNode } from 'react';
import { ControlApiError } from '../../shared/control-api.js';
import { connect } from './bridge.js';

/** Asks for the admin token `gatehouse serve` printed, and checks it before going on. */
export function Login({ onLogin, notice }: { onLogin: (token: string) => void; notice?: string }): ReactElement {
  const [token, setToken] = useState('');
  const [error, setError] = useState<ReactNode>(notice);
  const [checking, setChecking] = useState(false);

  async function handleSubmit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const value = token.trim();
    if (!value) return setError('Paste the admin token first.');
    setChecking(true);
    try {
      await connect(value).listServers();
      onLogin(value);
    } catch (err) {
      setError(
        err instanceof ControlApiError && (err.status === 401 || err.status === 403) ? (
          <>
            That token does not open the admin API. Use the admin token <code>gatehouse serve</code> printed, or create one with{' '}
            <code>gatehouse tokens create NAME --admin</code>.
          </>
        ) : err instanceof Error
            ? err.message
            : String(err),
      );
    } finally {
      setChecking(false);
    }
  }

  return (
    <main className="login">
      <form className="panel login-form" aria-labelledby="login-title" onSubmit={(e) => void handleSubmit(e)}>
        <h1 id="login-title">Gatehouse</h1>
        <p className="hint">
          Paste the admin token that <code>gatehouse serve</code> printed on its first start. It is kept in this tab only.
        </p>
        <label htmlFor="admin-token">Admin token</label>
        <input
          id="admin-token"
          type="password"
          autoComplete="off"
          autoFocus
          value={token}
          placeholder="gth_…"
          onChange={(e) => setToken(e.target.value)}
        />
        {error && (
          <p className="error-text" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="button primary" disabled={checking}>
          {checking ? 'Checking…' : 'Open'}
        </button>
      </form>
    </main>
  );
}
