// The operator's side, type-checked in the app: an engine running the app's tasks.
import { createEngine } from "durably/engine";
import { greet } from "./tasks.js";

export const engine = createEngine({ databaseUrl: "postgres://localhost/app", tasks: [greet] });
