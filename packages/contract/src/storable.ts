import { z } from 'zod';

/**
 * What PostgreSQL can store, checked at the edge (the zod schemas of requests) so that a value the
 * database would refuse is a 422 naming its field, never a failed statement:
 *
 * - U+0000: `text` refuses it (22021 invalid byte sequence) and `jsonb` refuses the `\u0000`
 *   escape (22P05 unsupported Unicode escape sequence).
 * - A lone UTF-16 surrogate (U+D800..U+DFFF not in a pair): not Unicode text at all. `jsonb`
 *   refuses its escape (22P02), and in `text` Node's UTF-8 encoder silently writes U+FFFD instead,
 *   so what is stored is not what was sent.
 * - Integers of `integer` (int4) columns: -2^31..2^31-1 (22003 out of range beyond).
 */

/** The bounds of a PostgreSQL `integer` (int4) column. */
export const INT4_MIN = -2_147_483_648;
export const INT4_MAX = 2_147_483_647;

/**
 * U+0000 or a lone surrogate. With the `u` flag a well-formed surrogate pair is one code point
 * (not in \p{Cs}), so only unpaired halves match.
 */
const UNSTORABLE_CHARACTER = /[\0\p{Cs}]/u;

/** The issue code (`errors[].code` of a 422) of a string PostgreSQL cannot store. */
export const UNSTORABLE_TEXT_CODE = 'unstorable_text';
const UNSTORABLE_TEXT_MESSAGE = 'contains U+0000 or an unpaired surrogate, which cannot be stored';

/** The issue code of a JSON number that has no finite value (`1e400`: JSON.parse makes it Infinity). */
export const UNSTORABLE_NUMBER_CODE = 'unstorable_number';
const UNSTORABLE_NUMBER_MESSAGE = 'a number too large to store';

/** Whether PostgreSQL stores `text` exactly as given: no U+0000, no unpaired surrogate. */
export function isStorableText(text: string): boolean {
  return !UNSTORABLE_CHARACTER.test(text);
}

/** One place in a JSON value PostgreSQL cannot store. */
export interface UnstorableSpot {
  /** Keys and indexes from the value's root; for a bad key, the path of that key. */
  path: Array<string | number>;
  kind: 'text' | 'number';
}

/**
 * Every object key, string and number in a JSON value (as JSON.parse makes it) that `jsonb`
 * cannot store. Iterative, so no nesting depth can overflow the stack (the body parser bounds
 * depth anyway); `limit` bounds the report for a value full of them.
 */
export function findUnstorable(value: unknown, limit = 20): UnstorableSpot[] {
  // Most values checked are scalars (a workflow's inputs, one by one): no walk for them.
  if (typeof value === 'string') return isStorableText(value) ? [] : [{ path: [], kind: 'text' }];
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [{ path: [], kind: 'number' }];
  if (value === null || typeof value === 'boolean') return [];
  const found: UnstorableSpot[] = [];
  // Each entry links to its parent: a path is only built for what is reported, so a deep value
  // costs linear time, not a copy of its path at every level.
  const stack: Step[] = [{ value, key: undefined, parent: undefined }];
  // No closure here: under tsx (tests, benches) each one made per call costs a __name() call.
  while (stack.length > 0 && found.length < limit) {
    const step = stack.pop()!;
    const v = step.value;
    if (typeof v === 'string') {
      if (!isStorableText(v)) found.push({ path: pathOf(step), kind: 'text' });
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) found.push({ path: pathOf(step), kind: 'number' });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: i, parent: step });
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        const next = { value: child, key, parent: step };
        if (!isStorableText(key)) found.push({ path: pathOf(next), kind: 'text' });
        stack.push(next);
      }
    }
  }
  return found.slice(0, limit);
}

interface Step {
  value: unknown;
  key: string | number | undefined;
  parent: Step | undefined;
}

function pathOf(step: Step): Array<string | number> {
  const path: Array<string | number> = [];
  for (let s: Step | undefined = step; s?.key !== undefined; s = s.parent) path.push(s.key);
  return path.reverse();
}

/**
 * The check every stored string carries (identity matters: the request-schema audit test looks
 * for this very check on every string of a request body).
 */
export const STORABLE_TEXT = z.refine<string>(isStorableText, { message: UNSTORABLE_TEXT_MESSAGE, params: { code: UNSTORABLE_TEXT_CODE } });

/** The check every free-form JSON value that is stored carries: keys and values, at any depth. */
export const STORABLE_JSON = z.superRefine<unknown>((value, ctx) => {
  for (const spot of findUnstorable(value)) {
    const text = spot.kind === 'text';
    ctx.addIssue({
      code: 'custom',
      path: spot.path,
      message: text ? UNSTORABLE_TEXT_MESSAGE : UNSTORABLE_NUMBER_MESSAGE,
      params: { code: text ? UNSTORABLE_TEXT_CODE : UNSTORABLE_NUMBER_CODE },
      input: value,
    });
  }
});

/** A string that is stored: `storableText().min(1).max(64)` chains like `z.string()`. */
export function storableText(): z.ZodString {
  return z.string().check(STORABLE_TEXT);
}

/** A free-form JSON value that is stored (workflow inputs, metadata values). */
export function storableJson(): z.ZodUnknown {
  return z.unknown().check(STORABLE_JSON);
}
