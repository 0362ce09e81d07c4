import { useState } from "react";
import { useDurably, useWaitToken, type Run, type WaitpointToken } from "durably/react";
import { Card } from "../../components/Card.tsx";
import { JsonTree } from "../../components/JsonTree.tsx";
import { Tags } from "../../components/Tags.tsx";
import { formatDateTime } from "../../lib/format.ts";
import { parseJsonInput } from "../../lib/json.ts";
import { useEngineQuery } from "../../lib/use-engine-query.ts";

/**
 * The waitpoint tokens this run waited on (newest first), read again whenever the run changes:
 * while it waits, one can be completed here with a JSON body, which resumes the run.
 */
export function WaitpointsSection({ run }: { run: Run }) {
  const { api, keys } = useDurably();
  // The run page says when the engine cannot be reached; this section appears once it answers.
  const { data } = useEngineQuery({
    queryKey: [...keys.runScope(run.id), "waitpoints", run.revision],
    queryFn: ({ signal }) => api.listWaitTokens({ runId: run.id }, { signal }),
  });
  if (!data || data.data.length === 0) return null;
  return (
    <Card title="Waitpoints" testId="run-waitpoints">
      {data.data.map((token) => (
        <Waitpoint key={token.id} token={token} />
      ))}
    </Card>
  );
}

function Waitpoint({ token }: { token: WaitpointToken }) {
  const { complete, isLoading, isCompleted, error } = useWaitToken(token.id);
  const [body, setBody] = useState("{}");
  const parsed = parseJsonInput(body);
  const waiting = token.status === "WAITING" && !isCompleted;
  return (
    <div className="waitpoint" data-testid={`waitpoint-${token.id}`}>
      <table className="kv">
        <tbody>
          <tr><th scope="row">id</th><td className="mono">{token.id}</td></tr>
          <tr><th scope="row">status</th><td data-testid="waitpoint-status">{isCompleted && token.status === "WAITING" ? "COMPLETED" : token.status}</td></tr>
          <tr><th scope="row">tags</th><td><Tags tags={token.tags} /></td></tr>
          <tr><th scope="row">timeout</th><td>{token.timeoutAt ? formatDateTime(token.timeoutAt) : "none"}</td></tr>
          <tr><th scope="row">created</th><td>{formatDateTime(token.createdAt)}</td></tr>
          {token.completedAt && <tr><th scope="row">settled</th><td>{formatDateTime(token.completedAt)}</td></tr>}
        </tbody>
      </table>
      {token.status === "COMPLETED" && token.output !== undefined && <JsonTree value={token.output} />}
      {waiting && (
        <form
          className="waitpoint-complete"
          onSubmit={(e) => {
            e.preventDefault();
            if (parsed.ok) complete(parsed.value);
          }}
        >
          <label className="field">
            <span>Output (JSON)</span>
            <textarea
              className={`code-input ${parsed.ok ? "" : "invalid"}`}
              rows={4}
              spellCheck={false}
              value={body}
              onChange={(e) => setBody(e.target.value)}
              data-testid="waitpoint-output"
            />
          </label>
          {!parsed.ok && <p className="form-error" role="alert">Invalid JSON: {parsed.message}</p>}
          <button type="submit" className="button primary" disabled={!parsed.ok || isLoading} data-testid="waitpoint-complete">
            {isLoading ? "Completing…" : "Complete"}
          </button>
        </form>
      )}
      {error && <p className="form-error" role="alert" data-testid="waitpoint-error">{error.message}</p>}
    </div>
  );
}
