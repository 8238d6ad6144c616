import { useEffect, useRef, type ReactElement, type ReactNode, type SyntheticEvent } from 'react';

export interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  /** Wide enough for a diff or a table. */
  wide?: boolean;
  /** Disables the confirm button (e.g. while a value is missing). */
  confirmDisabled?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

/** A modal `<dialog>`: focus moves into it, Escape cancels, focus returns when it closes. */
export function ConfirmDialog({ title, children, confirmLabel, danger = false, wide = false, confirmDisabled = false, onConfirm, onCancel }: ConfirmDialogProps): ReactElement {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    const previous = document.activeElement as HTMLElement | null;
    dialog?.showModal();
    return () => {
      dialog?.close();
      previous?.focus();
    };
  }, []);
  function handleCancel(event: SyntheticEvent): void {
    event.preventDefault();
    onCancel();
  }
  return (
    <dialog ref={ref} className={wide ? 'dialog wide' : 'dialog'} aria-labelledby="confirm-title" onCancel={handleCancel}>
      <h2 id="confirm-title">{title}</h2>
      <div className="dialog-body">{children}</div>
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className={danger ? 'button danger' : 'button primary'} disabled={confirmDisabled} onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
