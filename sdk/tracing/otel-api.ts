import type * as OtelApi from "@opentelemetry/api";

export type { OtelApi };

let api: typeof OtelApi | null | undefined;
let loading: Promise<typeof OtelApi | null> | undefined;

/**
 * `@opentelemetry/api` is an optional peer dependency: imported once, on demand, so durably runs
 * without it (null). The engine and both backends await this before their first trigger.
 */
export function loadOtelApi(): Promise<typeof OtelApi | null> {
  return (loading ??= import("@opentelemetry/api").then(
    (module) => (api = module),
    () => (api = null),
  ));
}

/** The API once `loadOtelApi` settled with it; null before that or without the package. */
export function otelApi(): typeof OtelApi | null {
  return api ?? null;
}
