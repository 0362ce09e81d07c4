/** The secret key the user typed at the login form, kept in this browser only. */
const STORAGE_KEY = "durably.secretKey";

export const tokenStore = {
  get(): string | undefined {
    try {
      return window.localStorage.getItem(STORAGE_KEY) || undefined;
    } catch {
      return undefined;
    }
  },
  set(token: string): void {
    try {
      window.localStorage.setItem(STORAGE_KEY, token);
    } catch {
      // Private mode or storage disabled: the key then lasts until the tab closes.
    }
  },
  clear(): void {
    try {
      window.localStorage.removeItem(STORAGE_KEY);
    } catch {
      // Nothing stored, nothing to clear.
    }
  },
};
