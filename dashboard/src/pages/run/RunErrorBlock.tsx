import type { RunError } from "durably/react";
import { Card } from "../../components/Card.tsx";

export function RunErrorBlock({ error }: { error: RunError }) {
  return (
    <Card title="Error" className="error-card" testId="run-error">
      <p className="error-message">
        <strong>{error.name}</strong>: {error.message}
      </p>
      {error.stack && <pre className="stack">{error.stack}</pre>}
    </Card>
  );
}
