// The seed "statuses" job: a status goes from "Generating memes: loading" to a gallery.
import { Client, eventTrigger } from "durably";

export const client = new Client({ id: "examples" });

client.defineJob({
  id: "meme-generator",
  name: "Generate memes",
  version: "0.1.1",
  trigger: eventTrigger({ name: "generate-memes" }),
  run: async (payload, io, ctx) => {
    const generatingMemes = await io.createStatus("generating-memes", {
      label: "Generating memes",
      state: "loading",
      data: { progress: 0.1 },
    });

    await io.wait("thinking", 2);

    await generatingMemes.update("middle-generation", {
      state: "success",
      data: {
        progress: 1,
        urls: [
          "https://media.giphy.com/media/v1.Y2lkPTc5MGI3NjExZnZoMndsdWh0MmhvY2kyaDF6YjZjZzg1ZGsxdnhhYm13a3Q1Y3lkbyZlcD12MV9pbnRlcm5hbF9naWZfYnlfaWQmY3Q9Zw/13HgwGsXF0aiGY/giphy.gif",
        ],
      },
    });
    return { memes: 1, event: ctx.event.name };
  },
});
