/**
 * The notification connection's own statements (engine/notify/listener.ts). Channels are names
 * the engine builds from its schema (a lower-case identifier) or a random probe name, never input.
 */
export const listenStatements = {
  listen: (channel: string) => `LISTEN "${channel}"`,
  unlisten: (channel: string) => `UNLISTEN "${channel}"`,
  notify: "SELECT pg_notify($1, $2)",
};
