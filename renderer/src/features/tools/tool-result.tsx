import { useEffect, useMemo, type ReactElement } from 'react';
import type { AuditEvent, ToolCallAnswer, ToolContentBlock } from '../../../../shared/control-api.js';
import { OutcomeBadge } from '../../components/status-badge.js';
import { routeHash } from '../../router.js';

/** Image types drawn inline (the page's CSP allows `data:` images). */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/svg+xml']);

/** A base64 payload as a file to save (audio, blobs): a `blob:` URL, released when unmounted. */
function DownloadBlob({ data, mimeType, name }: { data: string; mimeType: string; name: string }): ReactElement {
  const url = useMemo(() => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    return URL.createObjectURL(new Blob([bytes], { type: mimeType }));
  }, [data, mimeType]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  return (
    <a className="button small" href={url} download={name}>
      Download {mimeType} ({Math.round((data.length * 3) / 4)} bytes)
    </a>
  );
}

function Block({ block, index }: { block: ToolContentBlock; index: number }): ReactElement {
  if (block.type === 'text') return <pre className="result-text">{block.text ?? ''}</pre>;
  if (block.type === 'image' && block.data && block.mimeType && IMAGE_TYPES.has(block.mimeType)) {
    return <img className="result-image" src={`data:${block.mimeType};base64,${block.data}`} alt={`Image ${index + 1} of the result (${block.mimeType})`} />;
  }
  if ((block.type === 'image' || block.type === 'audio') && block.data && block.mimeType) {
    return <DownloadBlob data={block.data} mimeType={block.mimeType} name={`result-${index + 1}`} />;
  }
  if (block.type === 'resource_link') {
    return (
      <p className="result-link">
        Resource link: <code>{block.uri}</code> {block.name ? `(${block.name})` : ''}
      </p>
    );
  }
  if (block.type === 'resource' && block.resource) {
    const { uri, text, blob, mimeType } = block.resource;
    return (
      <div className="result-resource">
        <p>
          Resource <code>{uri}</code> {mimeType ? <span className="muted">{mimeType}</span> : null}
        </p>
        {text !== undefined && <pre className="result-text">{text}</pre>}
        {blob !== undefined && <DownloadBlob data={blob} mimeType={mimeType ?? 'application/octet-stream'} name={`resource-${index + 1}`} />}
      </div>
    );
  }
  return <pre className="json">{JSON.stringify(block, null, 2)}</pre>;
}

/** The audit entry the call left, with a link to the timeline. */
function AuditEntry({ event }: { event: AuditEvent }): ReactElement {
  const params = new URLSearchParams({ client: event.client?.name ?? '', tool: event.target ?? '' });
  return (
    <details className="result-audit" data-testid="try-audit">
      <summary>
        Audit entry: <OutcomeBadge outcome={event.outcome} /> {event.durationMs !== undefined ? `${Math.round(event.durationMs)} ms` : ''} as{' '}
        <code>{[event.client?.tokenName, event.client?.name].filter(Boolean).join(' · ')}</code>
      </summary>
      <pre className="json">{JSON.stringify(event, null, 2)}</pre>
      <a href={routeHash('audit', params)}>See it on the timeline</a>
    </details>
  );
}

/** What a tried call answered: content blocks, structured content, the error, and the audit entry. */
export function ToolResult({ answer }: { answer: ToolCallAnswer }): ReactElement {
  const failed = !answer.ok || answer.result.isError === true;
  return (
    <section className={`tool-result${failed ? ' failed' : ''}`} aria-label="Result" data-testid="try-result" data-outcome={answer.audit?.outcome ?? (answer.ok ? 'ok' : 'error')}>
      <h4>
        {answer.ok ? (answer.result.isError ? 'The tool reported an error' : 'Result') : `The call failed (error ${answer.error.code})`}
        <span className="muted"> · {answer.durationMs} ms</span>
      </h4>
      {!answer.ok && <p className="error-text">{answer.error.message}</p>}
      {answer.ok && (
        <>
          {answer.result.content.map((block, i) => (
            <Block key={i} block={block} index={i} />
          ))}
          {answer.result.content.length === 0 && <p className="muted">No content.</p>}
          {answer.result.structuredContent !== undefined && (
            <>
              <h5>Structured content</h5>
              <pre className="json" data-testid="structured-content">
                {JSON.stringify(answer.result.structuredContent, null, 2)}
              </pre>
            </>
          )}
        </>
      )}
      {answer.audit ? <AuditEntry event={answer.audit} /> : <p className="muted">The gateway keeps no audit, so the call left no entry.</p>}
    </section>
  );
}
