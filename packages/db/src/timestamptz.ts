import type { IsoInstant } from '@gantry/domain';
import pg from 'pg';

const TIMESTAMPTZ_OID = 1184;
const defaultParse = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (text: string) => Date | number | null;

/** The digits of `text` from `start` to `end` as a number; NaN when one is not a digit. */
function digits(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}

/**
 * A `timestamptz` in PostgreSQL's text form (DateStyle ISO: `2026-12-05 16:35:28.123+00`, an offset
 * of `±HH`, `±HH:MM` or `±HH:MM:SS`), or as PostgreSQL writes it in JSON (`2026-12-05T16:35:28.123+00:00`:
 * the same with a `T`, whatever the DateStyle; the hot reads' JSON records), read by position instead of node-postgres' three regular
 * expressions: the same Date (the fraction taken as node-postgres does), from a few character
 * reads. Anything else (years before 1000 or past 9999, BC, infinity) goes to node-postgres' parser.
 */
export function parseTimestamptz(text: string): Date | number | null {
  const n = text.length;
  if (n < 22 || text[4] !== '-' || text[7] !== '-' || (text[10] !== ' ' && text[10] !== 'T') || text[13] !== ':' || text[16] !== ':') return slowParse(text);
  let i = 19;
  let ms = 0;
  if (text[i] === '.') {
    let end = i + 1;
    while (end < n && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
    if (end === i + 1) return slowParse(text);
    ms = 1000 * parseFloat(text.slice(i, end)); // as node-postgres (postgres-date) does: Date.UTC truncates
    i = end;
  }
  const sign = text[i] === '+' ? 1 : text[i] === '-' ? -1 : 0;
  const zone = n - i; // ±HH, ±HH:MM, ±HH:MM:SS
  if (sign === 0 || (zone !== 3 && zone !== 6 && zone !== 9)) return slowParse(text);
  const offHours = digits(text, i + 1, i + 3);
  const offMinutes = zone >= 6 && text[i + 3] === ':' ? digits(text, i + 4, i + 6) : zone >= 6 ? NaN : 0;
  const offSeconds = zone === 9 && text[i + 6] === ':' ? digits(text, i + 7, i + 9) : zone === 9 ? NaN : 0;
  const year = digits(text, 0, 4);
  const time = Date.UTC(year, digits(text, 5, 7) - 1, digits(text, 8, 10), digits(text, 11, 13), digits(text, 14, 16), digits(text, 17, 19), ms);
  const offset = sign * (offHours * 3600 + offMinutes * 60 + offSeconds) * 1000;
  if (!(year >= 1000) || Number.isNaN(time) || Number.isNaN(offset)) return slowParse(text);
  return new Date(time - offset);
}

/** node-postgres' parser, given the text form of a timestamp PostgreSQL wrote in JSON (a `T` for the space). */
function slowParse(text: string): Date | number | null {
  const t = text.indexOf('T'); // after the date, wherever it ends (a five-digit year)
  return defaultParse(t > 0 ? `${text.slice(0, t)} ${text.slice(t + 1)}` : text);
}

/**
 * A `timestamptz` PostgreSQL wrote in JSON (`2026-12-05T16:35:28.123456+00:00`) as the views write
 * instants (`toISOString` of the Date parseTimestamptz gives: `2026-12-05T16:35:28.123Z`), by
 * position when it is in UTC with a four-digit year (the fraction truncated to milliseconds, as
 * parseTimestamptz does), through that Date otherwise (another session time zone).
 */
export function isoOfJsonTimestamptz(text: string): IsoInstant {
  const n = text.length;
  // YYYY-MM-DDTHH:MM:SS, then `.f` to `.ffffff` or nothing, then +00:00: 25 to 32 characters.
  if (n >= 25 && n <= 32 && n !== 26 && text[4] === '-' && text[7] === '-' && text[10] === 'T' && text[13] === ':' && text[16] === ':' && text.endsWith('+00:00')) {
    const year = digits(text, 0, 4);
    if (year >= 1000) {
      if (n === 25) return `${text.slice(0, 19)}.000Z` as IsoInstant;
      if (text[19] === '.' && digits(text, 20, n - 6) >= 0) {
        const ms = n >= 29 ? text.slice(20, 23) : text.slice(20, n - 6).padEnd(3, '0');
        return `${text.slice(0, 19)}.${ms}Z` as IsoInstant;
      }
    }
  }
  return (parseTimestamptz(text) as Date).toISOString() as IsoInstant;
}

/** node-postgres' type parsers with `timestamptz` read by parseTimestamptz: the pool's (client.ts). */
export const poolTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): unknown {
    if (oid === TIMESTAMPTZ_OID && format !== 'binary') return parseTimestamptz;
    return format === undefined ? pg.types.getTypeParser(oid) : pg.types.getTypeParser(oid, format);
  },
};
