import { useState, type ReactElement } from 'react';
import type { ApprovalView } from '../../../../shared/control-api.js';
import { ErrorText } from '../../components/error-text.js';
import { useApi } from '../../hooks/use-api.js';
import { describeError } from '../../hooks/use-poll.js';

/** What a waiting stdio server would run, and the button that approves exactly that. */
export function ApprovalPanel({ approval, onApproved }: { approval: ApprovalView; onApproved: () => void }): ReactElement {
  const api = useApi();
  const [error, setError] = useState<string>();
  const { launch } = approval;
  async function handleApprove(): Promise<void> {
    try {
      await api.approveServer(approval.server, launch.fingerprint);
      onApproved();
    } catch (err) {
      setError(describeError(err));
    }
  }
  return (
    <div className="approval" role="group" aria-label={`Approval of ${approval.server}`}>
      <p>
        <strong>{approval.status === 'changed' ? 'Its launch changed since you approved it.' : 'This program has not been approved to run.'}</strong>{' '}
        Gatehouse will run, as you:
      </p>
      <pre className="command-line">{launch.commandLine}</pre>
      <dl className="facts">
        <dt>Working folder</dt>
        <dd>
          {launch.cwd}
          {launch.cwdIsDefault ? ' (the gateway’s own)' : ''}
        </dd>
        <dt>Environment</dt>
        <dd>{launch.envNames.length > 0 ? launch.envNames.join(', ') : 'the default set only'}</dd>
        {launch.resolvedCommand === undefined && (
          <>
            <dt>Warning</dt>
            <dd>“{launch.command}” was not found on the PATH.</dd>
          </>
        )}
      </dl>
      <ErrorText message={error} />
      <button type="button" className="button primary" onClick={() => void handleApprove()}>
        Approve and start {approval.server}
      </button>
    </div>
  );
}
