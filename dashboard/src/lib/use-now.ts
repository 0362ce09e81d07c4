import { useEffect, useState } from "react";

/** The current time, re-read every `intervalMs` while `active` (durations of running work). */
export function useNow(active: boolean, intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    // Read the clock once more when going inactive too: a run that just finished must not keep
    // the last tick's time (its open wait bars would end up to a second short).
    setNow(Date.now());
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs]);
  return now;
}
