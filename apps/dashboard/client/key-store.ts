/** The API key, entered once: in localStorage ("remember on this device") or sessionStorage. */
const KEY = 'gantry.dashboard.key';

export function loadKey(): string | null {
  try {
    return sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveKey(key: string, remember: boolean): void {
  forgetKey();
  try {
    (remember ? localStorage : sessionStorage).setItem(KEY, key);
  } catch {
    // Storage disabled: the key lives only as long as this page.
  }
}

export function forgetKey(): void {
  try {
    localStorage.removeItem(KEY);
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
}
