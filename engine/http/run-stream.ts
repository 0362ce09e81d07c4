import type { Context } from "hono";
import type { JournalEntry, MetadataChange, MetadataPush, Run } from "../../sdk/types.ts";
import { RunNotFoundError } from "../../sdk/errors.ts";
import { fromJsonJournalRow, toMetadataChange, toRun, type JsonJournalRow, type RunReadRow } from "../db/rows.ts";
import type { EngineParts } from "../parts.ts";
import { journalPush, runAfter } from "../notify/journal-push.ts";
import { changedRuns } from "../notify/listener.ts";
import { withoutServerDetails } from "./public-view.ts";
import { readRunLogs } from "./run-logs.ts";
import { carryAllStreams } from "./run-stream-all.ts";
import { CarriedStreams, connectionId, NO_STREAMS, type CarriedKeys, type RunResume } from "./run-stream-keys.ts";
import { sseResponse, type SseMessage } from "./sse.ts";
import type { StreamLease } from "./stream-slots.ts";

/** Who a stream is for: its place under the stream caps, and whether a public token reads it. */
export interface StreamGrant {
  lease: StreamLease;
  publicView: boolean;
}

const jsonFor = (grant: StreamGrant) => (value: unknown) => JSON.stringify(grant.publicView ? withoutServerDetails(value) : value);

/**
 * Event ids encode a revision R of the run: `2R` for the journal entry written at R, `2R+1`
 * for the run as it was at R. Ids only grow, and a client resuming with `Last-Event-ID` gets
 * exactly the entries after it plus the run as it is now: no gap, nothing stale. A connection
 * that carries streams too adds their positions (`run-stream-keys.ts`).
 */
export interface RunStreamOptions {
  /** A log cursor: the run's log lines after it are sent too, as `log` events without ids. */
  logsAfter?: string | undefined;
  /** Streams of the run to carry too (`?streams=`), with `resume.streams` their positions. */
  carried?: CarriedKeys | undefined;
  /** False (`?run=0`): the streams only, and the run's `end` once they have all ended. */
  runChanges?: boolean | undefined;
}

const KEEPALIVE_MS = 15_000;

/**
 * A run's changes over SSE, and the streams of `options.carried` with them: one connection for a
 * page that follows the run and its streams. It ends (`end`) once the run has finished and every
 * carried stream was sent to its end.
 */
export function streamRun(c: Context, parts: EngineParts, runId: string, resume: RunResume, grant: StreamGrant, options: RunStreamOptions = {}): Response {
  const json = jsonFor(grant);
  const carriedKeys = options.carried ?? NO_STREAMS;
  const runChanges = options.runChanges ?? true;
  return sseResponse(c, async (stream) => {
    let last = resume.run;
    // The run as the client has it when `last` is its id (2R+1), for the changes this process
    // commits: the run as of each is built from it, not read.
    let held: Run | undefined;
    const positions = new Map([...resume.streams].map(([key, position]) => [key, { ...position }]));
    const idOf = () => connectionId(last, positions, carriedKeys.all);
    let logCursor = runChanges ? options.logsAfter : undefined;
    let dirty = true;
    let flushing: Promise<void> | undefined;
    let closed = false;
    let finish: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const abort = new AbortController();
    const fail = () => {
      closed = true;
      finish();
    };

    // The run's `end` comes last: after the run's final change and every carried stream's end
    // (with `*`, once a look after the run finished has found every stream it wrote).
    let runEnded: { id: string; status: string } | undefined;
    let allFound = !carriedKeys.all;
    const endIfDone = () => {
      if (closed || !runEnded || !allFound || !carried.allEnded) return;
      stream.send({ event: "end", data: JSON.stringify(runEnded) });
      closed = true;
      finish();
    };
    const carried: CarriedStreams = new CarriedStreams(stream, {
      runId, positions, idOf, reads: parts.service.streams, logger: parts.logger, signal: abort.signal,
      onEnd: (end) => {
        if (!runChanges) runEnded = { id: runId, status: end.status };
        endIfDone();
      },
      onFail: fail,
    });
    for (const key of carriedKeys.keys) carried.carry(key);
    if (carriedKeys.all) {
      const stopLooking = carryAllStreams(stream, {
        parts, runId, carried, named: carriedKeys.keys, positions, idOf, signal: abort.signal,
        onComplete: (status) => {
          allFound = true;
          if (!runChanges) runEnded = { id: runId, status };
          endIfDone();
        },
        onFail: (error) => {
          parts.logger.warn("run stream failed", { runId, error: error.message });
          fail();
        },
      });
      abort.signal.addEventListener("abort", stopLooking);
    }

    // A metadata entry sent right after the run as of the revision before it is the run's whole
    // change at its revision (metadata, updatedAt = the entry's finishedAt, revision; no io call
    // writes anything else with it), and clients apply it so: it stands for the run as of its
    // revision too (id 2R+1), and no re-read of the run, payload and all, follows it. Not at
    // revision 1: that is the run's insert, with the entries a fork copied.
    const entryEvent = (entry: JournalEntry): SseMessage => {
      const whole = entry.kind === "metadata" && entry.revision > 1 && last === entry.revision * 2 - 1;
      if (whole) held = held?.revision === entry.revision - 1 ? runAfter(held, entry) : undefined;
      last = whole ? entry.revision * 2 + 1 : entry.revision * 2;
      return { event: "journal", id: idOf(), data: json(journalPush(entry)) };
    };
    const runEvent = (run: Run): SseMessage => {
      held = run;
      last = run.revision * 2 + 1;
      return { event: "run", id: idOf(), data: json(run) };
    };

    // A descendant's change to the run's metadata (metadata.parent / metadata.root) changed only
    // its metadata, updatedAt and revision: it stands for the run as of its revision as a metadata entry does.
    const sendDescendantChange = (change: MetadataChange, revision: number) => {
      if (revision * 2 <= last) return;
      const whole = last === revision * 2 - 1;
      if (whole) held = held?.revision === revision - 1 ? { ...held, metadata: change.metadata, updatedAt: change.at, revision } : undefined;
      last = whole ? revision * 2 + 1 : revision * 2;
      const push: MetadataPush = { change, revision };
      stream.send({ event: "metadata", id: idOf(), data: json(push) });
    };

    const flush = async (): Promise<void> => {
      while (dirty && !closed) {
        await stream.ready();
        dirty = false;
        const { rows } = await parts.db.query<RunReadRow & { entries: JsonJournalRow[]; descendant_changes: DescendantChangeRow[] }>(
          parts.sql.feed.runSince, [runId, Math.floor(last / 2)],
        );
        if (!rows[0]) throw new RunNotFoundError(runId);
        const run = toRun(rows[0]);
        const changes = rows[0].descendant_changes;
        let c = 0;
        for (const row of rows[0].entries) {
          for (; c < changes.length && changes[c]!.revision < Number(row.revision); c++) sendDescendantChange(toMetadataChange(changes[c]!), changes[c]!.revision);
          // Sent already, as it committed (below), while this read was under way.
          if (Number(row.revision) * 2 <= last) continue;
          stream.send(entryEvent(fromJsonJournalRow(row)));
        }
        for (; c < changes.length; c++) sendDescendantChange(toMetadataChange(changes[c]!), changes[c]!.revision);
        // Read after the run: a finished run's lines were all stored before its end, so none is missed before `end`.
        while (logCursor !== undefined) {
          const page = await readRunLogs(parts, runId, { cursor: logCursor, limit: 500 });
          for (const line of page.data) stream.send({ event: "log", data: json(line) });
          logCursor = page.data.at(-1)?.id ?? logCursor;
          if (!page.nextCursor) break;
          await stream.ready();
        }
        if (run.revision * 2 + 1 > last) stream.send(runEvent(run));
        else if (run.revision * 2 + 1 === last) held = run;
        if (run.isCompleted) {
          runEnded = { id: run.id, status: run.status };
          endIfDone();
          return;
        }
      }
    };
    const kick = () => {
      if (runEnded) return;
      dirty = true;
      flushing ??= flush()
        .catch((error: Error) => {
          parts.logger.warn("run stream failed", { runId, error: error.message });
          closed = true;
          finish();
        })
        .finally(() => {
          flushing = undefined;
          if (dirty && !closed) kick();
        });
    };

    // A change whose run the stream has sent already (pushed from its write's result) needs no
    // read; a notification without a revision (NaN) always reads. One heard while this process
    // has a write of the run under way is looked at once that write has returned: it is most
    // often that write's, which is then handed over (a quarter of the push benchmark's samples
    // read the run again before).
    const off = !runChanges ? () => undefined : parts.listener.onRun(parts.channels.run, runId, (change) => {
      const sent = () => change.revision * 2 + 1 <= last;
      if (sent()) return;
      parts.entries.afterWrites(runId, () => {
        if (!sent()) kick();
      });
    });
    // An entry this process committed goes out at once when it is the very next change the
    // stream has to send (the run as of the revision before it is sent), with the run as of it
    // in the same write, built from the run the client has (`runAfter`), unless the entry stands
    // for it (`entryEvent`); the NOTIFY that comes after then needs no read. A NOTIFY that
    // arrives before the write's own result starts a read: the entry still goes out now, and the
    // read skips it. Otherwise the stream reads, unless a read already sent it; so it does when
    // the client is not taking what it was sent (the read waits for it to).
    const offEntries = !runChanges ? () => undefined : parts.entries.subscribe(runId, (row) => {
      const revision = Number(row.revision);
      if (closed || runEnded || last >= revision * 2) return;
      if (last !== revision * 2 - 1) return kick();
      if (!stream.hasRoom()) return kick();
      const before = held?.revision === revision - 1 ? held : undefined;
      const entry = fromJsonJournalRow(row);
      const events = [entryEvent(entry)];
      if (last === revision * 2 && before) events.push(runEvent(runAfter(before, entry)));
      stream.sendAll(events);
      if (last === revision * 2) kick();
    });
    const offLogs = logCursor === undefined ? () => undefined : parts.listener.onRun(parts.channels.logs, runId, kick);
    // Notifications sent while the connection was down are lost: look again after reconnecting.
    const offReconnect = !runChanges ? () => undefined : parts.listener.onReconnect(kick);
    const ping = setInterval(stream.ping, KEEPALIVE_MS);
    void stream.closed.then(() => {
      closed = true;
      finish();
    });
    if (runChanges) kick();
    await done;
    abort.abort();
    off();
    offLogs();
    offEntries();
    offReconnect();
    clearInterval(ping);
  }, grant.lease);
}

type DescendantChangeRow = Parameters<typeof toMetadataChange>[0] & { revision: number };

/**
 * Every run that changes, for the dashboard's list; coalesced so a busy run sends one update per
 * tick. One tick's reads wait for the last tick's to be sent: a slow read overtaken by a later one
 * would send a run older than what the client holds, and a list that no longer shows the run
 * (its filter) would take it back in, stale for good.
 */
export function streamAllRuns(c: Context, parts: EngineParts, lease: StreamLease): Response {
  return sseResponse(c, async (stream) => {
    const pending = new Set<string>();
    let timer: NodeJS.Timeout | undefined;
    let sending: Promise<void> = Promise.resolve();
    let finish: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const send = async () => {
      const ids = [...pending];
      pending.clear();
      for (const id of ids) {
        await stream.ready();
        const run: Run | undefined = await parts.service.retrieveRun(id).catch(() => undefined);
        if (run) stream.send({ event: "run", data: JSON.stringify(run) });
      }
    };
    const off = parts.listener.on(parts.channels.run, (payload) => {
      for (const id of changedRuns(payload)) pending.add(id);
      timer ??= setTimeout(() => {
        timer = undefined;
        sending = sending.then(send).catch(() => finish());
      }, 100);
    });
    const ping = setInterval(stream.ping, KEEPALIVE_MS);
    void stream.closed.then(finish);
    await done;
    off();
    clearInterval(ping);
    clearTimeout(timer);
  }, lease);
}
