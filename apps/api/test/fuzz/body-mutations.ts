import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import type { Rng } from '@gantry/testing';

/**
 * Ways to spoil a JSON body, each a class of hostile input: text PostgreSQL cannot store in every
 * string position, wrong types and numbers no column holds, broken JSON, nesting and size beyond
 * the limits, charsets and content codings the API does not take (or takes, wrapped around one
 * of the above). A mutation returns the bytes to send and the headers that go with them.
 */

export interface BodyLimits {
  /** GANTRY_BODY_LIMIT of the API under test, in bytes. */
  bodyLimitBytes: number;
  /** GANTRY_JSON_MAX_DEPTH of the API under test. */
  maxDepth: number;
}

export interface SpoiltBody {
  kind: string;
  body: Buffer;
  headers: Record<string, string>;
}

export type Path = Array<string | number>;

/** Text PostgreSQL refuses, or that is not Unicode: U+0000, unpaired surrogates (alone, at either end, as the half of an emoji). */
export const UNSTORABLE = ['\u0000', '\ud800', '\udfff', '\ud83d', 'a\u0000b', 'x\udc00', '\ud800\u0000', '\ude00\ud83d'];

/** Values of the wrong type or beyond every column (int4, safe integers), and sizes no field wants. */
const WRONG_VALUES: unknown[] = [null, true, 0, -1, 1.5, -0.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, -(2 ** 63), 'x', '', [], {}, [null], { '': null }, 'é'.repeat(3000)];

/** Numbers as JSON text that JavaScript cannot hold exactly (or at all): JSON.parse makes 1e400 Infinity. */
const RAW_NUMBERS = ['1e400', '-1e400', `1${'0'.repeat(400)}`, '-0', '9007199254740993', '2147483648', '-2147483649', '1E+2', '0.1e-400'];

/** Keys that mean something to JavaScript objects. */
const ODD_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' ', '\u200b'];

const MALFORMED_JSON = ['', ' ', '{', '}', '[', '{"a":', '{"a":1,}', "{'a':1}", '{"a":NaN}', '{"a":Infinity}', '{"a":undefined}', '{/*c*/}', '{"a":1}{"b":2}', '1', '"text"', 'null', 'true', '{"a":"\u0001"}', '{"a":"\\x41"}', '{"a":"\\u12"}', '{"\\ud800":1}'];

/** Bytes that are not UTF-8 (a lone continuation byte, an overlong NUL, a UTF-16 surrogate in UTF-8, 0xff). */
const BAD_UTF8 = [Buffer.from([0x80]), Buffer.from([0xc0, 0x80]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xff]), Buffer.from([0xf4, 0x90, 0x80, 0x80])];

const CHARSETS = ['utf-7', 'utf-16', 'utf-16le', 'utf-16be', 'utf-32', 'UTF-32BE', 'latin1', 'iso-8859-1', 'us-ascii', 'utf8', 'UTF-8', 'x-nope', '"utf-8"', ''];

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/merge-patch+json',
  'application/problem+json',
  'application/json;;',
  'application/json; charset',
  'application/json; foo=bar',
  'application/jsonx',
  '*/*',
  'json',
];

const CODINGS: Array<[string, (b: Buffer) => Buffer]> = [
  ['gzip', (b) => gzipSync(b)],
  ['deflate', (b) => deflateSync(b)],
  ['br', (b) => brotliCompressSync(b)],
];

/** JSON text of `value` with one raw number in place of a placeholder (JSON.stringify cannot write 1e400). */
function withRawNumber(value: unknown, path: Path, raw: string): string {
  const marker = '@@raw-number@@';
  return JSON.stringify(setAt(value, path, marker)).replace(JSON.stringify(marker), raw);
}

/** Every value and key position of a JSON value: `[path, isKey]`. */
export function positions(value: unknown, path: Path = [], out: Array<[Path, boolean]> = []): Array<[Path, boolean]> {
  out.push([path, false]);
  if (Array.isArray(value)) value.forEach((v, i) => positions(v, [...path, i], out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push([[...path, k], true]);
      positions(v, [...path, k], out);
    }
  }
  return out;
}

export function getAt(value: unknown, path: Path): unknown {
  return path.reduce<any>((node, key) => node?.[key], value);
}

/** A copy of `value` with the value at `path` replaced (the root for an empty path). */
export function setAt(value: unknown, path: Path, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(value);
  const parent = getAt(copy, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1]!] = replacement;
  return copy;
}

/** A copy of `value` with the key at `path` renamed (its value kept), as an own property even for `__proto__`. */
export function renameKey(value: unknown, path: Path, name: string): unknown {
  const parentPath = path.slice(0, -1);
  const parent = getAt(value, parentPath) as Record<string, unknown>;
  const entries = Object.entries(parent).map(([k, v]) => [k === path[path.length - 1] ? name : k, v] as const);
  // JSON.parse makes `__proto__` an own key; an object literal would set the prototype instead.
  const renamed = JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`) as unknown;
  return setAt(value, parentPath, renamed);
}

function nested(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? { n: v } : [v];
  return v;
}

const JSON_TYPE = { 'content-type': 'application/json' };

/** One spoilt variant of `seed` (a plausible body of the operation, or any JSON for routes without one). */
export function spoilBody(seed: unknown, rng: Rng, limits: BodyLimits): SpoiltBody {
  const all = positions(seed);
  const values = all.filter(([, isKey]) => !isKey).map(([p]) => p);
  const keys = all.filter(([, isKey]) => isKey).map(([p]) => p);
  const strings = values.filter((p) => typeof getAt(seed, p) === 'string');
  const text = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8');
  const plain = (kind: string, body: Buffer | string): SpoiltBody => ({ kind, body: Buffer.from(body), headers: { ...JSON_TYPE } });

  switch (rng.int(0, 12)) {
    case 0: {
      // Unstorable text as a whole string, or inside one.
      const poison = rng.pick(UNSTORABLE);
      if (strings.length === 0) return plain('body.unstorable-text', text(setAt(seed, [], { note: poison })));
      const p = rng.pick(strings);
      const old = getAt(seed, p) as string;
      return plain('body.unstorable-text', text(setAt(seed, p, rng.pick([poison, old + poison, poison + old]))));
    }
    case 1: {
      // Unstorable text as a key.
      if (keys.length === 0) return plain('body.unstorable-key', text({ [rng.pick(UNSTORABLE)]: 1 }));
      return plain('body.unstorable-key', text(renameKey(seed, rng.pick(keys), `k${rng.pick(UNSTORABLE)}`)));
    }
    case 2:
      return plain('body.wrong-type', text(setAt(seed, rng.pick(values), rng.pick(WRONG_VALUES))));
    case 3:
      return plain('body.raw-number', withRawNumber(seed, rng.pick(values), rng.pick(RAW_NUMBERS)));
    case 4: {
      // A key dropped, or an odd one added (as an own property: `__proto__` too).
      if (keys.length > 0 && rng.chance(0.5)) {
        const p = rng.pick(keys);
        const parent = structuredClone(getAt(seed, p.slice(0, -1))) as Record<string, unknown>;
        delete parent[p[p.length - 1] as string];
        return plain('body.key-dropped', text(setAt(seed, p.slice(0, -1), parent)));
      }
      const objects = values.filter((p) => { const v = getAt(seed, p); return v !== null && typeof v === 'object' && !Array.isArray(v); });
      if (objects.length === 0) return plain('body.odd-key', `{${JSON.stringify(rng.pick(ODD_KEYS))}:1}`);
      const target = rng.pick(objects);
      const raw = JSON.stringify(getAt(seed, target));
      const odd = `{${JSON.stringify(rng.pick(ODD_KEYS))}:${JSON.stringify(rng.pick(WRONG_VALUES))}${raw === '{}' ? '' : ','}${raw.slice(1)}`;
      return plain('body.odd-key', JSON.stringify(setAt(seed, target, '@@odd@@')).replace('"@@odd@@"', odd));
    }
    case 5: {
      // Broken JSON: a fixed specimen, or the seed cut short or with a byte changed.
      const raw = JSON.stringify(seed);
      const cut = rng.int(0, Math.max(0, raw.length - 1));
      const variants = [rng.pick(MALFORMED_JSON), raw.slice(0, cut), raw.slice(0, cut) + rng.pick(['"', '}', ']', ',', '\\', '\u0000']) + raw.slice(cut + 1), `\ufeff${raw}`, `${raw},`];
      return plain('body.malformed-json', rng.pick(variants));
    }
    case 6: {
      // Bytes that are not UTF-8, inside a string of an otherwise fine body.
      const raw = JSON.stringify(seed);
      const at = raw.indexOf('"') + 1;
      const body = at > 0 ? Buffer.concat([Buffer.from(raw.slice(0, at)), rng.pick(BAD_UTF8), Buffer.from(raw.slice(at))]) : Buffer.concat([Buffer.from('{"a":"'), rng.pick(BAD_UTF8), Buffer.from('"}')]);
      return plain('body.invalid-utf8', body);
    }
    case 7: {
      // Nesting at the depth limit, or just beyond it.
      const depth = limits.maxDepth + rng.pick([-1, 0, 1, 50]);
      return plain('body.deep', text(setAt(seed, rng.pick(values), nested(depth, 'leaf'))));
    }
    case 8: {
      // Larger than the body limit, as sent or only once decompressed.
      const huge = text(setAt(seed, rng.pick(values), 'x'.repeat(limits.bodyLimitBytes + 16)));
      if (rng.chance(0.5)) return plain('body.oversized', huge);
      return { kind: 'body.oversized-decompressed', body: gzipSync(huge), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } };
    }
    case 9: {
      // A charset other than UTF-8 (or UTF-8 spelt oddly).
      const charset = rng.pick(CHARSETS);
      return { kind: 'body.charset', body: text(seed), headers: { 'content-type': `application/json; charset=${charset}` } };
    }
    case 10: {
      // Content codings: broken, truncated, unknown, stacked, or fine around a spoilt body.
      const [name, encode] = rng.pick(CODINGS);
      const inner = text(rng.chance(0.5) ? seed : setAt(seed, rng.pick(values), rng.pick(UNSTORABLE)));
      const encoded = encode(inner);
      const variants: Array<[string, Buffer]> = [
        [name, encoded],
        [name, Buffer.from('definitely not compressed')],
        [name, encoded.subarray(0, Math.max(1, encoded.length >> 1))],
        [name.toUpperCase(), encoded],
        ['deflate', deflateRawSync(inner)],
        [`${name}, ${name}`, encode(encoded)],
        [rng.pick(['compress', 'x-gzip', 'zstd', 'identity', 'gzip;q=1', 'chunked', 'identity, gzip', 'aes128gcm', '']), encoded],
      ];
      const [coding, body] = rng.pick(variants);
      return { kind: 'body.content-encoding', body, headers: { 'content-type': 'application/json', 'content-encoding': coding } };
    }
    case 11:
      return { kind: 'body.content-type', body: text(seed), headers: { 'content-type': rng.pick(CONTENT_TYPES) } };
    default: {
      // Unusual but storable text: must be accepted or refused, never fail.
      const odd = rng.pick(['😀', '\u202eevil', '\uffff', '\ufeff', 'e\u0301', '\u0001\u001f', '\ud83d\ude00'.repeat(500), '𝔘𝔫𝔦𝔠𝔬𝔡𝔢']);
      if (strings.length === 0) return plain('body.unusual-text', text({ note: odd }));
      return plain('body.unusual-text', text(setAt(seed, rng.pick(strings), odd)));
    }
  }
}
