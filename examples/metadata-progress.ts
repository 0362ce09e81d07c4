// The seed "run metadata" task: progress reported through metadata.set.
import { metadata, task } from "durably";

export const metadataProgress = task({
  id: "metadata-progress",
  run: async (payload: { message?: string }, { io }) => {
    const user = metadata.get("user") as { name?: string } | undefined;
    const steps = [
      { progress: 0.1, message: "Starting" },
      { progress: 0.5, message: "Halfway there" },
      { progress: 0.9, message: "Almost done" },
    ];
    for (const step of steps) {
      await metadata.set("status", { state: "running", ...step });
      await io.wait(`pause-${step.progress}`, 1);
    }
    await metadata.set("status", { state: "complete", progress: 1, message: "Done" });
    return { greeted: user?.name ?? "nobody", message: payload.message ?? null };
  },
});
