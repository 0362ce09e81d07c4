import type { EngineHttp } from "./request.ts";

/**
 * Resolves once the run's SSE stream (`since` its revision, so no journal is replayed) says
 * `event: end`, the server closes it, or `timeoutMs` passes, whichever is first. The caller reads
 * the run again to see which: a push, not a poll.
 */
export async function waitForEnd(http: EngineHttp, runId: string, since: number, timeoutMs: number): Promise<void> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const body = await http.stream(`/api/runs/${encodeURIComponent(runId)}/stream?since=${since}`, abort.signal, { runId });
    const decoder = new TextDecoder();
    let tail = "";
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      const text = tail + decoder.decode(chunk, { stream: true });
      if (/^event: ?end\r?$/m.test(text)) return;
      // An event split across chunks: keep the unfinished last line for the next one.
      tail = text.slice(text.lastIndexOf("\n") + 1);
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}
