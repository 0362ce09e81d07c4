import { useRealtimeRunWithStreams } from "durably/react";
import { Card } from "./Card.tsx";
import { LeftOutStreams } from "./LeftOutStreams.tsx";
import { StreamSection } from "./StreamSection.tsx";

/**
 * Every stream the run writes (`streams.append` / `pipe`), live, and past the 32 the run's
 * connection carries, the ones it left out, to open one by one.
 */
export function RunStreams({ runId }: { runId: string }) {
  const { streams, leftOut, leftOutKeys } = useRealtimeRunWithStreams(runId);
  const entries = Object.entries(streams);
  if (entries.length === 0) return null;
  return (
    <Card title="Streams" testId="run-streams">
      {entries.map(([key, parts]) => (
        <StreamSection key={key} streamKey={key} parts={parts ?? []} />
      ))}
      {leftOut > 0 && <LeftOutStreams runId={runId} count={leftOut} keys={leftOutKeys} />}
    </Card>
  );
}
