import { useState, type ReactElement } from 'react';

export interface CopyButtonProps {
  text: string;
  /** What is copied, for the accessible name ("Copy endpoint URL"). */
  what: string;
}

/** Copies `text` and says so for two seconds. */
export function CopyButton({ text, what }: CopyButtonProps): ReactElement {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  async function handleCopy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
    window.setTimeout(() => setState('idle'), 2000);
  }
  return (
    <button type="button" className="button small" aria-label={`Copy ${what}`} onClick={() => void handleCopy()}>
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : 'Copy'}
    </button>
  );
}
