import { useSyncExternalStore } from 'react';

export type Theme = 'light' | 'dark';

/** Only an explicit choice is stored; until then the system preference decides. */
export const THEME_STORAGE_KEY = 'cbp.theme';

const listeners = new Set<() => void>();
const systemDark = () => window.matchMedia?.('(prefers-color-scheme: dark)');

function storedTheme(): Theme | null {
  try {
    const value = window.localStorage.getItem(THEME_STORAGE_KEY);
    return value === 'dark' || value === 'light' ? value : null;
  } catch {
    return null;
  }
}

export function getTheme(): Theme {
  return storedTheme() ?? (systemDark()?.matches ? 'dark' : 'light');
}

export function applyTheme(theme: Theme = getTheme()): void {
  document.documentElement.classList.toggle('dark', theme === 'dark');
  document.documentElement.style.colorScheme = theme;
}

export function setTheme(theme: Theme): void {
  try {
    window.localStorage.setItem(THEME_STORAGE_KEY, theme);
  } catch {
    // Without storage the choice lasts until reload.
  }
  applyTheme(theme);
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  const media = systemDark();
  const onSystemChange = () => {
    if (storedTheme()) return;
    applyTheme();
    listener();
  };
  listeners.add(listener);
  media?.addEventListener('change', onSystemChange);
  return () => {
    listeners.delete(listener);
    media?.removeEventListener('change', onSystemChange);
  };
}

export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, getTheme, () => 'light');
}

/** What the user chose: a theme, or `system` (nothing stored: the system preference decides). */
export type ThemePreference = Theme | 'system';

export function getThemePreference(): ThemePreference {
  return storedTheme() ?? 'system';
}

export function setThemePreference(preference: ThemePreference): void {
  if (preference !== 'system') {
    setTheme(preference);
    return;
  }
  try {
    window.localStorage.removeItem(THEME_STORAGE_KEY);
  } catch {
    // Nothing stored to forget.
  }
  applyTheme();
  for (const listener of listeners) listener();
}

export function useThemePreference(): ThemePreference {
  return useSyncExternalStore(subscribe, getThemePreference, () => 'system');
}
