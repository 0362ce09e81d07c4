import { useContext } from "react";
import { DurablyContext, type DurablyContextValue } from "../context.ts";

/** The provider's HTTP client, QueryClient and query keys, for calls the hooks do not cover. */
export function useDurably(): DurablyContextValue {
  const context = useContext(DurablyContext);
  if (!context) throw new Error("durably hooks must be used inside <DurablyProvider>");
  return context;
}
