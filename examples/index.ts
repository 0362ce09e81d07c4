// What `npm start` runs: every example task and job.
export { client } from "./meme-generator.ts";
export { metadataProgress } from "./metadata-progress.ts";
export { importItems } from "./import-items.ts";
