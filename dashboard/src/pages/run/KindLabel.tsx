import type { JournalEntry, JournalKind } from "durably/react";

const ICONS: Partial<Record<string, string>> & Record<JournalKind, string> = {
  task: "⚙",
  wait: "◔",
  status: "◉",
  metadata: "✎",
  ancestorMetadata: "✎",
  now: "◷",
  random: "⚄",
  waitRuns: "◔",
  waitpoint: "◔",
  patch: "⎇",
  trigger: "↗",
  batchTrigger: "↗",
  triggerAndWait: "↗",
  batchTriggerAndWait: "↗",
  sendEvent: "✉",
  cancel: "✕",
  hook: "⚑",
};

/** A journal entry's kind as icon and word; kinds newer than this page get a plain dot. */
export function KindLabel({ kind }: { kind: JournalEntry["kind"] }) {
  return (
    <span className={`kind kind-${kind}`}>
      <span className="kind-icon" aria-hidden="true">
        {ICONS[kind] ?? "•"}
      </span>
      {kind}
    </span>
  );
}
