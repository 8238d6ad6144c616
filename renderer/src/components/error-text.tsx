import type { ReactElement } from 'react';

/** An error shown where it happened; announced to screen readers. */
export function ErrorText({ message }: { message: string | undefined }): ReactElement | null {
  if (!message) return null;
  return (
    <p className="error-text" role="alert">
      {message}
    </p>
  );
}
