import { task } from "../../sdk/index.ts";

/** The throughput workload: 3 no-op steps with a status update after each. */
export function threeStepTask(id: string) {
  return task<{ i: number }, number>({
    id,
    run: async ({ i }, { io }) => {
      await io.runTask("one", async () => i);
      let status = await io.createStatus("progress", { label: "1/3", state: "loading" });
      await io.runTask("two", async () => i);
      status = await status.update("progress-2", { label: "2/3" });
      await io.runTask("three", async () => i);
      await status.update("progress-3", { label: "3/3", state: "success" });
      return i;
    },
  });
}
