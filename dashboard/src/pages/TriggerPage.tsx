import { useTasks } from "durably/react";
import { Card } from "../components/Card.tsx";
import { EmptyState } from "../components/EmptyState.tsx";
import { ErrorState } from "../components/ErrorState.tsx";
import { Loading } from "../components/Loading.tsx";
import { TriggerForm } from "./trigger/TriggerForm.tsx";

/** Start a run by hand: pick a task (or job), write its payload, submit. `?task=` preselects one. */
export function TriggerPage({ params }: { params: URLSearchParams }) {
  const result = useTasks();
  return (
    <div className="page narrow">
      <div className="page-header">
        <h1>Trigger a run</h1>
      </div>
      <Card>
        {result.fetchStatus === "loading" && <Loading label="Loading tasks…" />}
        {result.fetchStatus === "error" && <ErrorState title="Could not load tasks" error={result.error} />}
        {result.fetchStatus === "success" &&
          (result.tasks.length === 0 ? (
            <EmptyState title="No tasks registered">
              <p>Define a task or job in your code and start the engine with it; it will show up here.</p>
            </EmptyState>
          ) : (
            <TriggerForm tasks={result.tasks} initialTaskId={params.get("task")} />
          ))}
      </Card>
    </div>
  );
}
