import { useState, type FormEvent } from "react";
import { useTasks } from "durably/react";
import { NO_FILTERS, type RunsPageFilters } from "./filters.ts";

/**
 * Text filters are applied on submit (Enter or "Apply"), not per keystroke, so the list is not
 * refetched for every letter typed. The parent remounts this form when the URL changes.
 */
export function RunFiltersBar({
  filters,
  onChange,
}: {
  filters: RunsPageFilters;
  onChange: (next: RunsPageFilters) => void;
}) {
  const [draft, setDraft] = useState(filters);
  const tasks = useTasks();
  const set = (name: keyof Omit<RunsPageFilters, "status">) => (event: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [name]: event.target.value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onChange({ ...draft, status: filters.status });
  };
  const clear = () => onChange({ ...NO_FILTERS, status: filters.status });

  return (
    <form className="filters" onSubmit={submit}>
      <label className="field">
        <span>Task</span>
        <input list="filter-task-options" value={draft.task} onChange={set("task")} placeholder="any task" />
        <datalist id="filter-task-options">
          {tasks.fetchStatus === "success" && tasks.tasks.map((task) => <option key={task.id} value={task.id} />)}
        </datalist>
      </label>
      <label className="field">
        <span>Tag</span>
        <input value={draft.tag} onChange={set("tag")} placeholder="user:1" />
      </label>
      <label className="field wide">
        <span>Created from</span>
        <input type="datetime-local" step="1" value={draft.from} onChange={set("from")} />
      </label>
      <label className="field wide">
        <span>to</span>
        <input type="datetime-local" step="1" value={draft.to} onChange={set("to")} />
      </label>
      <label className="field">
        <span>Metadata key</span>
        <input value={draft.metadataKey} onChange={set("metadataKey")} placeholder="key" />
      </label>
      <label className="field">
        <span>value</span>
        <input
          value={draft.metadataValue}
          onChange={set("metadataValue")}
          placeholder="any value"
          disabled={!draft.metadataKey}
        />
      </label>
      <div className="filters-actions">
        <button type="submit" className="button">
          Apply
        </button>
        <button type="button" className="button-link" onClick={clear}>
          Clear
        </button>
      </div>
    </form>
  );
}
