// A customer's page following a run's streams with a public token, on another origin than the engine.
import { createRoot } from "react-dom/client";
import { DurablyProvider, useRealtimeRunWithStreams, useRealtimeStream } from "durably/react";

const params = new URLSearchParams(location.search);

function Tokens({ runId, token, id }: { runId: string; token: string; id: string }) {
  const { parts, error, end } = useRealtimeStream<string>(runId, "ai", { accessToken: token });
  return (
    <section id={id}>
      <p className="text">{parts.join("")}</p>
      {end && <p className="end">{end.status}</p>}
      {error && <p className="error">{error.status}</p>}
    </section>
  );
}

function WithStreams({ runId }: { runId: string }) {
  const { run, streams } = useRealtimeRunWithStreams<{ ai: string; rows: { n: number; attempt: number } }>(runId);
  return (
    <section id="with-streams">
      <p className="status">{run?.status}</p>
      <p className="progress">{String(run?.metadata.progress ?? "")}</p>
      <p className="ai">{(streams.ai ?? []).join("")}</p>
      <p className="rows">{JSON.stringify(streams.rows ?? [])}</p>
    </section>
  );
}

createRoot(document.getElementById("root")!).render(
  <DurablyProvider baseUrl={params.get("api")!} accessToken={params.get("token")!}>
    <WithStreams runId={params.get("run")!} />
    <Tokens id="tokens" runId={params.get("run")!} token={params.get("token")!} />
    <Tokens id="forbidden" runId={params.get("run")!} token={params.get("otherToken")!} />
  </DurablyProvider>,
);
