import { useState, type FormEvent } from "react";
import { useSendEvent, useTriggerTask, type TaskInfo } from "durably/react";
import { hrefs, navigate } from "../../lib/router.ts";
import { parseJsonInput } from "../../lib/json.ts";
import { EMPTY_OPTION_INPUTS, parseTriggerOptions, type OptionInputs } from "./trigger-options.ts";
import { TriggerOptionsFields } from "./TriggerOptionsFields.tsx";
import { TriggerResult, type TriggerOutcome } from "./TriggerResult.tsx";

function taskLabel(task: TaskInfo): string {
  const version = task.version ? ` (v${task.version})` : "";
  return task.kind === "job" ? `${task.id}${version} — on “${task.eventName ?? "?"}”` : `${task.id}${version}`;
}

/**
 * Tasks are triggered directly, with their options; v2 jobs listen to an event, so for them the
 * payload is sent as that event (`POST /api/events`), which takes no options.
 */
export function TriggerForm({ tasks, initialTaskId }: { tasks: TaskInfo[]; initialTaskId: string | null }) {
  const [taskId, setTaskId] = useState(
    () => tasks.find((t) => t.id === initialTaskId)?.id ?? tasks[0]?.id ?? "",
  );
  const [payload, setPayload] = useState("{\n  \n}");
  const [optionInputs, setOptionInputs] = useState<OptionInputs>(EMPTY_OPTION_INPUTS);
  const [showOptions, setShowOptions] = useState(false);
  const [touched, setTouched] = useState(false);
  const [outcome, setOutcome] = useState<TriggerOutcome | null>(null);
  const trigger = useTriggerTask();
  const sendEvent = useSendEvent();

  const task = tasks.find((t) => t.id === taskId);
  const parsed = parseJsonInput(payload);
  const triggerOptions = parseTriggerOptions(optionInputs);
  const pending = trigger.isPending || sendEvent.isPending;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!task || !parsed.ok) return;
    const onError = (error: Error) => setOutcome({ kind: "error", message: error.message });
    const eventName = task.kind === "job" ? task.eventName : null;
    if (eventName) {
      setOutcome(null);
      sendEvent.mutate(
        { name: eventName, payload: parsed.value },
        { onSuccess: (result) => setOutcome({ kind: "event", eventId: result.id, runIds: result.runs }), onError },
      );
      return;
    }
    if (!triggerOptions.ok) {
      // The error sits inside the disclosure: open it, or the submit would fail without a word.
      setShowOptions(true);
      return;
    }
    setOutcome(null);
    trigger.mutate(
      { taskId: task.id, payload: parsed.value, ...(triggerOptions.options ? { options: triggerOptions.options } : {}) },
      { onSuccess: (handle) => navigate(hrefs.run(handle.id)), onError },
    );
  };

  const taskOptions = tasks.filter((t) => t.kind === "task");
  const jobOptions = tasks.filter((t) => t.kind === "job");

  return (
    <form className="trigger-form" onSubmit={submit}>
      <label className="field">
        <span>Task</span>
        <select value={taskId} onChange={(e) => setTaskId(e.target.value)} data-testid="trigger-task-select">
          {taskOptions.length > 0 && (
            <optgroup label="Tasks">
              {taskOptions.map((t) => (
                <option key={t.id} value={t.id}>
                  {taskLabel(t)}
                </option>
              ))}
            </optgroup>
          )}
          {jobOptions.length > 0 && (
            <optgroup label="Jobs (started by an event)">
              {jobOptions.map((t) => (
                <option key={t.id} value={t.id}>
                  {taskLabel(t)}
                </option>
              ))}
            </optgroup>
          )}
        </select>
      </label>
      {task?.kind === "job" && (
        <p className="hint">
          Sends the event <code>{task.eventName}</code> with this payload; every job listening to it starts.
        </p>
      )}
      <label className="field">
        <span>Payload (JSON)</span>
        <textarea
          className={`code-input ${touched && !parsed.ok ? "invalid" : ""}`}
          rows={12}
          spellCheck={false}
          value={payload}
          onChange={(e) => {
            setPayload(e.target.value);
            setTouched(true);
          }}
          data-testid="trigger-payload"
        />
      </label>
      {touched && !parsed.ok && (
        <p className="form-error" role="alert" data-testid="trigger-payload-error">
          Invalid JSON: {parsed.message}
        </p>
      )}
      {task?.kind !== "job" && (
        <>
          <label className="field">
            <span>Tags (comma separated, optional)</span>
            <input
              value={optionInputs.tags}
              onChange={(e) => setOptionInputs({ ...optionInputs, tags: e.target.value })}
              placeholder="user:1, plan:pro"
              data-testid="trigger-tags"
            />
          </label>
          <TriggerOptionsFields
            inputs={optionInputs}
            errors={touched && !triggerOptions.ok ? triggerOptions.errors : {}}
            open={showOptions}
            onOpenChange={setShowOptions}
            onChange={(inputs) => {
              setOptionInputs(inputs);
              setTouched(true);
            }}
          />
        </>
      )}
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={pending || !task} data-testid="trigger-submit">
          {pending ? "Sending…" : task?.kind === "job" ? "Send event" : "Trigger"}
        </button>
      </div>
      {outcome && <TriggerResult outcome={outcome} />}
    </form>
  );
}
