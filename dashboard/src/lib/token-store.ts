/**
 * The secret key the user typed at the login form, kept for this tab's session only: a reload
 * keeps it, closing the tab forgets it, and it is never written to disk (localStorage would keep
 * it there, readable by any script on this origin long after the tab is gone). A new tab asks again.
 */
const STORAGE_KEY = "durably.secretKey";

export const tokenStore = {
  get(): string | undefined {
    try {
      return window.sessionStorage.getItem(STORAGE_KEY) || undefined;
    } catch {
      return undefined;
    }
  },
  set(token: string): void {
    try {
      window.sessionStorage.setItem(STORAGE_KEY, token);
    } catch {
      // Storage disabled: the key then lasts until the page reloads.
    }
  },
  clear(): void {
    try {
      window.sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // Nothing stored, nothing to clear.
    }
  },
};
