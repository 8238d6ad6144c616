import type { ReactElement } from 'react';

export interface SwitchProps {
  checked: boolean;
  /** The accessible name, e.g. "Enable echo". */
  label: string;
  onChange: (checked: boolean) => void;
  disabled?: boolean;
}

/** An on/off switch: a real `role="switch"` button, so Space and Enter toggle it. */
export function Switch({ checked, label, onChange, disabled = false }: SwitchProps): ReactElement {
  function handleClick(): void {
    onChange(!checked);
  }
  return (
    <button type="button" role="switch" aria-checked={checked} aria-label={label} className="switch" disabled={disabled} onClick={handleClick}>
      <span className="switch-thumb" aria-hidden="true" />
    </button>
  );
}
