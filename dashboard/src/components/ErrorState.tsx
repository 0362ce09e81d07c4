import { DurablyApiError } from "durably/react";

function explain(error: Error): string {
  if (!(error instanceof DurablyApiError)) return error.message;
  if (error.status === 0) return "The engine did not answer. Is it running?";
  if (error.status === 403) return "This key cannot see this. Sign in with the secret key.";
  return error.message;
}

/** An error from the API, worded for a person, with the engine's code for reference. */
export function ErrorState({ title = "Something went wrong", error }: { title?: string; error: Error }) {
  const code = error instanceof DurablyApiError ? error.code : error.name;
  return (
    <div className="error-state" role="alert">
      <p className="error-title">{title}</p>
      <p>{explain(error)}</p>
      <p className="muted small">
        <code>{code}</code>
      </p>
    </div>
  );
}
