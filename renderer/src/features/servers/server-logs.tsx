import type { ReactElement } from 'react';
import { useApi } from '../../hooks/use-api.js';
import { usePoll } from '../../hooks/use-poll.js';

/** The server's stderr tail, following live while open. */
export function ServerLogs({ name }: { name: string }): ReactElement {
  const api = useApi();
  const logs = usePoll(() => api.serverLogs(name), 2000);
  return (
    <div className="logs" role="log" aria-label={`Logs of ${name}`}>
      {logs.error && <p className="error-text">{logs.error}</p>}
      {logs.data && logs.data.length === 0 && <p className="hint">Nothing on stderr yet.</p>}
      {logs.data && logs.data.length > 0 && <pre>{logs.data.join('\n')}</pre>}
    </div>
  );
}
