import { useState, type FormEvent } from "react";

/** Shown when the engine answers 401: asks for the secret key (DURABLY_SECRET_KEY). */
export function LoginForm({ rejected, onSubmit }: { rejected: boolean; onSubmit: (key: string) => void }) {
  const [key, setKey] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (key.trim()) onSubmit(key.trim());
  };
  return (
    <div className="login">
      <form className="login-card" onSubmit={submit}>
        <div className="brand login-brand">
          <span className="brand-mark" aria-hidden="true">
            d
          </span>
          durably
        </div>
        <h1>Sign in</h1>
        <p className="muted">
          This engine needs its secret key (<code>DURABLY_SECRET_KEY</code>). It is kept in this tab only, until the tab is closed.
        </p>
        <label className="field">
          <span>Secret key</span>
          <input
            type="password"
            autoFocus
            autoComplete="current-password"
            value={key}
            onChange={(event) => setKey(event.target.value)}
            data-testid="login-key"
          />
        </label>
        {rejected && (
          <p className="form-error" role="alert">
            That key was not accepted.
          </p>
        )}
        <button type="submit" className="button primary" disabled={!key.trim()} data-testid="login-submit">
          Sign in
        </button>
      </form>
    </div>
  );
}
