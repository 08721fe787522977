import pg from 'pg';
import { isoOfJsonTimestamptz, parseTimestamptz, poolTypes } from './timestamptz';

const pgParse = pg.types.getTypeParser(1184, 'text') as (text: string) => Date | number | null;

const time = (v: Date | number | null) => (v instanceof Date ? v.getTime() : v);

/** Our parse of the text form and of its JSON form (a `T` for the space) both give node-postgres' parse of the text form. */
const same = (text: string): void => {
  const theirs = time(pgParse(text));
  expect(time(parseTimestamptz(text))).toEqual(theirs);
  const space = text.indexOf(' ');
  if (space < 0) return;
  const json = `${text.slice(0, space)}T${text.slice(space + 1)}`;
  expect(time(parseTimestamptz(json))).toEqual(theirs);
  // As a view writes it: by position in UTC (PostgreSQL writes +00:00 in JSON), through the Date otherwise.
  const parsed = pgParse(text);
  if (parsed instanceof Date) {
    expect(isoOfJsonTimestamptz(json)).toBe(parsed.toISOString());
    if (/\+00$/.test(text)) expect(isoOfJsonTimestamptz(`${json}:00`)).toBe(parsed.toISOString());
  }
};

describe('parseTimestamptz', () => {
  it('reads what PostgreSQL writes exactly as node-postgres does', () => {
    for (const text of [
      '2026-12-05 16:35:28+00',
      '2026-12-05 16:35:28.1+00',
      '2026-12-05 16:35:28.12+00',
      '2026-12-05 16:35:28.123+00',
      '2026-12-05 16:35:28.123456+00',
      '2026-12-05 16:35:28.999+01',
      '2026-01-01 00:00:00.001-05',
      '2026-03-29 02:30:00.5+05:30',
      '1900-01-01 00:00:00+00:09:21',
      '1970-01-01 00:00:00+00',
      '2000-02-29 23:59:59.999-12',
      '9999-12-31 23:59:59.999+14',
    ]) {
      same(text);
    }
  });

  it('agrees with node-postgres on every millisecond fraction and many instants and offsets', () => {
    let seed = 42;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pad = (v: number, w = 2): string => String(v).padStart(w, '0');
    for (let frac = 0; frac < 1000; frac++) same(`2026-12-05 16:35:28.${pad(frac, 3)}+00`);
    for (let k = 0; k < 5000; k++) {
      const date = `${1000 + next(9000)}-${pad(1 + next(12))}-${pad(1 + next(28))} ${pad(next(24))}:${pad(next(60))}:${pad(next(60))}`;
      const frac = ['', `.${next(10)}`, `.${pad(next(100))}`, `.${pad(next(1000), 3)}`, `.${pad(next(1000000), 6)}`][next(5)];
      const zone = `${next(2) ? '+' : '-'}${pad(next(15))}${['', `:${pad(next(60))}`, `:${pad(next(60))}:${pad(next(60))}`][next(3)]}`;
      same(`${date}${frac}${zone}`);
    }
  });

  it('reads the JSON form PostgreSQL writes (ISO 8601, offset ±HH:MM) as the text form', () => {
    expect(parseTimestamptz('2026-12-05T16:35:28.123456+00:00')).toEqual(new Date('2026-12-05T16:35:28.123Z'));
    expect(parseTimestamptz('2026-12-05T16:35:28+05:30')).toEqual(new Date('2026-12-05T11:05:28.000Z'));
    expect(parseTimestamptz('infinity')).toBe(Infinity);
    expect(isoOfJsonTimestamptz('2026-12-05T16:35:28.123456+00:00')).toBe('2026-12-05T16:35:28.123Z');
    expect(isoOfJsonTimestamptz('2026-12-05T16:35:28.5+00:00')).toBe('2026-12-05T16:35:28.500Z');
    expect(isoOfJsonTimestamptz('2026-12-05T16:35:28+00:00')).toBe('2026-12-05T16:35:28.000Z');
    expect(isoOfJsonTimestamptz('2026-12-05T22:05:28.99+05:30')).toBe('2026-12-05T16:35:28.990Z');
    expect(() => isoOfJsonTimestamptz('infinity')).toThrow();
  });

  it('leaves other forms to node-postgres', () => {
    for (const text of ['infinity', '-infinity', '0099-01-01 00:00:00+00', '0001-01-01 00:00:00+00 BC', '12345-01-01 00:00:00+00', '2026-12-05']) same(text);
  });

  it('is the pool parser of timestamptz only', () => {
    expect(poolTypes.getTypeParser(1184, 'text')).toBe(parseTimestamptz);
    expect(poolTypes.getTypeParser(1184)).toBe(parseTimestamptz);
    expect(poolTypes.getTypeParser(1114, 'text')).toBe(pg.types.getTypeParser(1114, 'text'));
    expect(poolTypes.getTypeParser(1184, 'binary')).toBe(pg.types.getTypeParser(1184, 'binary'));
  });
});
