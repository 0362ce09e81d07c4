// A long-running, resumable import: one durable step per batch, a progress bar, and a pause.
// Kill the process mid-way (Ctrl-C, or kill -9) and start it again: completed batches are not
// imported twice, the run picks up at the first batch that had not finished.
import { task } from "durably";

export const importItems = task({
  id: "import-items",
  run: async (payload: { items?: number; batchSize?: number; delayMs?: number }, { io }) => {
    const items = payload.items ?? 200;
    const batchSize = payload.batchSize ?? 20;
    const delayMs = payload.delayMs ?? 1_000;
    const batches = Math.ceil(items / batchSize);
    const progress = await io.createStatus("import", {
      label: `Importing ${items} items`,
      state: "loading",
      data: { progress: 0, imported: 0 },
    });

    let imported = 0;
    for (let batch = 0; batch < batches; batch++) {
      imported += await io.runTask(`batch-${batch}`, async () => {
        // Stands in for a slow API call or a bulk insert.
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        return Math.min(batchSize, items - batch * batchSize);
      });
      await progress.update(`progress-${batch}`, { data: { progress: (batch + 1) / batches, imported } });
      if (batch === Math.floor(batches / 2)) await io.wait("cool-down", 3);
    }

    await progress.update("done", { state: "success", label: `Imported ${imported} items` });
    return { imported };
  },
});
