import { readdir, readFile } from "node:fs/promises";

/**
 * CPU time of this process and of every PostgreSQL process on the machine (Linux /proc; the
 * database must be local), so a throughput figure can say where its time went. Machines here
 * differ by 2–3× in speed; CPU per run compares across them better than runs per second.
 */
export async function cpuNow(): Promise<{ nodeMs: number; postgresMs: number | null }> {
  const usage = process.cpuUsage();
  return { nodeMs: (usage.user + usage.system) / 1000, postgresMs: await postgresCpuMs() };
}

async function postgresCpuMs(): Promise<number | null> {
  let pids: string[];
  try {
    pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  let ticks = 0;
  let found = false;
  for (const pid of pids) {
    try {
      if ((await readFile(`/proc/${pid}/comm`, "utf8")).trim() !== "postgres") continue;
      // Fields after the command name: state is field 3, utime and stime fields 14 and 15.
      const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ").at(-1)!.split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
      found = true;
    } catch {
      // the process ended while we looked
    }
  }
  // USER_HZ, the unit of these fields, is 100 a second on Linux.
  return found ? ticks * 10 : null;
}
