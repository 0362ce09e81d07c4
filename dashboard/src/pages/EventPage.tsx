import { DurablyApiError, useEvent } from "durably/react";
import { Card } from "../components/Card.tsx";
import { EmptyState } from "../components/EmptyState.tsx";
import { ErrorState } from "../components/ErrorState.tsx";
import { JsonTree } from "../components/JsonTree.tsx";
import { Loading } from "../components/Loading.tsx";
import { RunsTable } from "../components/RunsTable.tsx";
import { formatDateTime } from "../lib/format.ts";
import { hrefs } from "../lib/router.ts";

/** An event: its name and payload, and the runs it started (live). */
export function EventPage({ eventId }: { eventId: string }) {
  const { fetchStatus, error, event } = useEvent(eventId);

  if (fetchStatus === "loading") return <Loading label="Loading event…" />;
  if (fetchStatus === "error") {
    if (error instanceof DurablyApiError && error.status === 404) {
      return (
        <EmptyState title="Event not found">
          <p>
            No event has the id <code>{eventId}</code>. <a href={hrefs.runs()}>Back to runs</a>
          </p>
        </EmptyState>
      );
    }
    return <ErrorState title="Could not load this event" error={error} />;
  }

  return (
    <div className="page">
      <div className="run-header">
        <div className="run-title">
          <nav className="breadcrumb">
            <a href={hrefs.runs()}>Runs</a> <span aria-hidden="true">›</span> Event
          </nav>
          <h1 data-testid="event-name">{event.name}</h1>
          <div className="muted small">
            <span className="mono">{event.id}</span> · sent {formatDateTime(event.createdAt)}
          </div>
        </div>
      </div>
      <Card title="Payload">
        <JsonTree value={event.payload} />
      </Card>
      <Card title={`Runs started (${event.runs.length})`}>
        {event.runs.length === 0 ? (
          <p className="muted">No job listens to this event, so it started no runs.</p>
        ) : (
          <RunsTable runs={event.runs} testId="event-runs-table" />
        )}
      </Card>
    </div>
  );
}
