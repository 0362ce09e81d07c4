// Each statement below must be a type error in the app (the consumer test asserts each line).
import { metadata } from "durably";
import { greet } from "./tasks.js";

export async function mistakes(): Promise<void> {
  await greet.trigger({ name: 42 });
  await metadata.set("startedAt", new Date());
  await metadata.set("onDone", () => "not JSON");
}
