import { useRunStatuses } from "durably/react";
import { Card } from "../../components/Card.tsx";
import { ErrorState } from "../../components/ErrorState.tsx";
import { Loading } from "../../components/Loading.tsx";
import { StatusBlock } from "./StatusBlock.tsx";

export function StatusesSection({ runId, at }: { runId: string; at?: Date | undefined }) {
  const { fetchStatus, error, statuses } = useRunStatuses(runId, { at });
  return (
    <Card title={`Statuses${statuses ? ` (${statuses.length})` : ""}`}>
      {fetchStatus === "loading" && <Loading />}
      {fetchStatus === "error" && <ErrorState title="Could not load statuses" error={error} />}
      {fetchStatus === "success" &&
        (statuses.length === 0 ? (
          <p className="muted">{at ? "This run had created no statuses yet." : "This run has created no statuses."}</p>
        ) : (
          <div className="statuses">
            {statuses.map((status) => (
              <StatusBlock key={status.key} status={status} />
            ))}
          </div>
        ))}
    </Card>
  );
}
