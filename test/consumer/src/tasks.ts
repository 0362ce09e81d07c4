// A typed task as an app writes it; the consumer test compiles it and runs it on PostgreSQL.
import { metadata, task } from "durably";

export const greet = task({
  id: "consumer-greet",
  run: async (payload: { name: string }) => {
    await metadata.set("progress", { steps: 1, at: new Date().toISOString() });
    return { greeting: `Hello, ${payload.name}` };
  },
});
