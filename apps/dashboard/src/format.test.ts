import { ago, bytes, countLabel, duration, mib, percent, shortId } from '../client/format.js';

test('formats figures for the views', () => {
  expect(percent(0.424)).toBe('42 %');
  expect(percent(1.7)).toBe('100 %');
  expect(percent(-1)).toBe('0 %');
  expect(bytes(900)).toBe('900 B');
  expect(bytes(423_500)).toBe('413.6 KiB');
  expect(bytes(3 * 1024 * 1024)).toBe('3.0 MiB');
  expect(mib(20110)).toBe('19.6 GiB');
  expect(mib(512)).toBe('512 MiB');
  expect(mib(null)).toBe('?');
  expect(shortId('019a1b2c-0000-7000-8000-0000a1b2c3d4')).toBe('a1b2c3d4');
  expect(countLabel(200, true)).toBe('200+');
  expect(countLabel(3, false)).toBe('3');
});

test('relative times and durations', () => {
  const now = Date.parse('2026-01-02T12:00:00Z');
  expect(ago('2026-01-02T11:59:48Z', now)).toBe('12 s ago');
  expect(ago('2026-01-02T11:57:00Z', now)).toBe('3 min ago');
  expect(ago('2026-01-02T10:00:00Z', now)).toBe('2 h ago');
  expect(ago('2025-12-01T10:00:00Z', now)).toBe('2025-12-01');
  expect(ago('garbage', now)).toBe('');
  expect(duration('2026-01-02T12:00:00Z', '2026-01-02T12:00:04.2Z')).toBe('4.2 s');
  expect(duration('2026-01-02T12:00:00Z', '2026-01-02T12:02:05Z')).toBe('2 min 5 s');
  expect(duration(null, '2026-01-02T12:00:00Z')).toBe('');
});
