import type { ReactElement, ReactNode } from 'react';

/** What a screen shows when it has nothing yet: what this is, and what to do first. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }): ReactElement {
  return (
    <div className="empty-state">
      <h3>{title}</h3>
      {children}
    </div>
  );
}
