import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let counter = 0;

/**
 * Random bytes drawn 8 KiB at a time (as Node's crypto.randomUUID does): one call into the CSPRNG
 * per 1024 ids instead of one per id (a 1000-job batch makes 1000 ids in one request).
 */
const RANDOM_POOL = Buffer.alloc(8192);
let poolOffset = RANDOM_POOL.length;

/** The next 8 random bytes of the pool (the only random part of an id: its bytes 8-15). */
function randomTail(bytes: Buffer): void {
  if (poolOffset + 8 > RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    poolOffset = 0;
  }
  RANDOM_POOL.copy(bytes, 8, poolOffset, poolOffset + 8);
  poolOffset += 8;
}

/**
 * RFC 9562 UUIDv7: 48-bit Unix milliseconds, then version, a 12-bit counter (monotonic within a
 * millisecond in this process) and 62 random bits. Time-ordered, so B-tree inserts stay local and
 * keyset pagination by id is ordering by creation time.
 */
export function uuidv7(now: number = Date.now()): string {
  if (now <= lastMs) {
    counter += 1;
    if (counter > 0xfff) {
      lastMs += 1;
      counter = 0;
    }
  } else {
    lastMs = now;
    counter = 0;
  }
  const bytes = Buffer.allocUnsafe(16);
  randomTail(bytes);
  const ms = lastMs;
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
  bytes[2] = (ms >>> 24) & 0xff;
  bytes[3] = (ms >>> 16) & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | ((counter >>> 8) & 0x0f);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}
