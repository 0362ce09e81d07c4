import type { Backend } from "../backend-types.ts";
import type { ListWaitTokensFilter, WaitpointRecord, WaitToken } from "../types.ts";
import type { EngineHttp } from "./request.ts";

type WireWaitpoint = Omit<WaitpointRecord, "timeoutAt" | "idempotencyKeyExpiresAt" | "createdAt" | "completedAt"> & {
  timeoutAt: string | null;
  idempotencyKeyExpiresAt: string | null;
  createdAt: string;
  completedAt: string | null;
};

const dateOrNull = (value: string | null) => (value === null ? null : new Date(value));

function waitpointFromWire(wire: WireWaitpoint): WaitpointRecord {
  return {
    ...wire,
    timeoutAt: dateOrNull(wire.timeoutAt),
    idempotencyKeyExpiresAt: dateOrNull(wire.idempotencyKeyExpiresAt),
    createdAt: new Date(wire.createdAt),
    completedAt: dateOrNull(wire.completedAt),
  };
}

/** A filter as `GET /api/waitpoints/tokens` reads it: lists comma-joined. */
function listQuery(filter: ListWaitTokensFilter): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) {
    if (value !== undefined) query.set(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : "";
}

type WaitpointCalls = Pick<Backend, "createWaitToken" | "accessWaitToken" | "completeWaitToken" | "retrieveWaitToken" | "listWaitTokens">;

/** The waitpoint token calls over the engine's HTTP API (docs/waitpoints.md); outputs travel as JSON. */
export function waitpointCalls(http: EngineHttp): WaitpointCalls {
  const path = (id: string) => `/api/waitpoints/tokens/${encodeURIComponent(id)}`;
  return {
    createWaitToken: (options) =>
      http.json<WaitToken>("POST", "/api/waitpoints/tokens", { body: { ...options, ...(options.timeout instanceof Date ? { timeout: options.timeout.toISOString() } : {}) } }),
    accessWaitToken: (id) => http.json<WaitToken>("POST", `${path(id)}/access`, { body: {}, subject: { waitpointId: id } }),
    async completeWaitToken(id, output) {
      await http.json("POST", `${path(id)}/complete`, { body: { data: output }, subject: { waitpointId: id } });
    },
    retrieveWaitToken: async (id) => waitpointFromWire(await http.json<WireWaitpoint>("GET", path(id), { subject: { waitpointId: id } })),
    async listWaitTokens(filter) {
      const { data, nextCursor } = await http.json<{ data: WireWaitpoint[]; nextCursor: string | null }>("GET", `/api/waitpoints/tokens${listQuery(filter)}`);
      return { data: data.map(waitpointFromWire), nextCursor };
    },
  };
}
