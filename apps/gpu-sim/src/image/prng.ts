import { createHash } from 'node:crypto';

/** A seeded pseudo-random source returning floats in [0, 1). */
export type Random = () => number;

/**
 * sfc32 seeded from SHA-256 of `key`: every byte of the key influences the stream, and the same
 * key always yields the same stream (the sim's images must be reproducible).
 */
export function seededRandom(key: string): Random {
  const digest = createHash('sha256').update(key).digest();
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // Discard the first outputs: sfc32 mixes poorly right after seeding.
  for (let i = 0; i < 12; i += 1) next();
  return next;
}
