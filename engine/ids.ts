import { createHash, randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const TAIL_LENGTH = 16;

let lastTime = 0;
let lastTail: number[] = [];

/**
 * Time-sortable ids (`run_` + 10 chars of milliseconds + 16 random chars), like ULIDs, and
 * monotonic within a process as ULID's monotonic factory is: ids made in the same millisecond
 * (a batch of triggers, tokens made in a loop) count up from the first one's random part, so
 * "newest first" by id is the order they were made in.
 */
export function newId(prefix: string): string {
  let time = Date.now();
  if (time <= lastTime) {
    time = lastTime;
    let i = TAIL_LENGTH - 1;
    while (i >= 0 && lastTail[i] === 31) lastTail[i--] = 0;
    if (i >= 0) lastTail[i]!++;
    else time = lastTime + 1;
  } else {
    lastTail = [...randomBytes(TAIL_LENGTH)].map((b) => b % 32);
  }
  lastTime = time;
  let head = "";
  for (let i = 0; i < 10; i++) {
    head = ALPHABET[time % 32] + head;
    time = Math.floor(time / 32);
  }
  return `${prefix}_${head}${lastTail.map((d) => ALPHABET[d]).join("")}`;
}

/** The same id for the same key, in newId's alphabet and length (not time-sortable): for things made again after a crash. */
export function keyedId(prefix: string, key: string): string {
  const digest = createHash("sha256").update(key).digest();
  let tail = "";
  for (let i = 0; i < 26; i++) tail += ALPHABET[digest[i]! % 32];
  return `${prefix}_${tail}`;
}
