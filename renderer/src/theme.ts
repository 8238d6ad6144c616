/**
 * The theme override: `system` follows the OS (prefers-color-scheme), `light` and `dark` pin
 * one. Kept in localStorage (a display preference, not a secret) and applied as
 * `<html data-theme>`, which styles.css turns into `color-scheme`.
 */
export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

const THEME_KEY = 'gatehouse.theme';

export function readTheme(): Theme {
  const stored = window.localStorage.getItem(THEME_KEY);
  return (THEMES as readonly string[]).includes(stored ?? '') ? (stored as Theme) : 'system';
}

/** Sets `<html data-theme>`; `system` removes it. */
export function applyTheme(theme: Theme): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

/** Stores and applies `theme`. */
export function saveTheme(theme: Theme): void {
  if (theme === 'system') window.localStorage.removeItem(THEME_KEY);
  else window.localStorage.setItem(THEME_KEY, theme);
  applyTheme(theme);
}
