import { createHash, randomFillSync } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
/**
 * 12 random characters (60 bits) after the time: ids made in the same millisecond by different
 * processes still collide about once in 2^60 pairs. Ids were 16 (26 characters after the prefix,
 * as ULIDs): a run id of 26 characters made every entry of the journal's primary key (run id, seq)
 * 48 bytes, one of 22 makes it 40 (PostgreSQL pads index entries to 8 bytes), 20 bytes less an
 * entry once page splits are counted (bench journal-size). Older ids stay valid (cursor.ts).
 */
const TAIL_LENGTH = 12;

let lastTime = 0;
const lastTail: number[] = new Array(TAIL_LENGTH).fill(0);

/** Random bytes drawn a few hundred ids at a time: one draw per id cost more than the rest of newId. */
const randomPool = Buffer.alloc(TAIL_LENGTH * 256);
let poolUsed = randomPool.length;

/**
 * Time-sortable ids (`run_` + 10 chars of milliseconds + 12 random chars), like ULIDs, and
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
    if (poolUsed === randomPool.length) {
      randomFillSync(randomPool);
      poolUsed = 0;
    }
    for (let i = 0; i < TAIL_LENGTH; i++) lastTail[i] = randomPool[poolUsed++]! % 32;
  }
  lastTime = time;
  let head = "";
  for (let i = 0; i < 10; i++) {
    head = ALPHABET[time % 32] + head;
    time = Math.floor(time / 32);
  }
  let tail = "";
  for (const d of lastTail) tail += ALPHABET[d];
  return `${prefix}_${head}${tail}`;
}

/**
 * The same id for the same key, in newId's alphabet (not time-sortable): for things made again
 * after a crash. 26 characters, newId's length before it was shortened: a key keeps its id across
 * that upgrade.
 */
export function keyedId(prefix: string, key: string): string {
  const digest = createHash("sha256").update(key).digest();
  let tail = "";
  for (let i = 0; i < 26; i++) tail += ALPHABET[digest[i]! % 32];
  return `${prefix}_${tail}`;
}
