import { ManualClock } from '@gantry/domain';
import { SlotsEnding } from './slots-ending';

describe('SlotsEnding', () => {
  const paces: Record<string, number | null> = { fast: 100, slow: 1000, unknown: null };
  const make = (leadMs: number) => {
    const clock = new ManualClock();
    const ending = new SlotsEnding((id) => paces[id] ?? null, leadMs, clock);
    let told = 0;
    ending.onSoon(() => told++);
    return { clock, ending, told: () => told };
  };

  it('counts a slot from the lead time before its expected end (by its backend’s pace), and tells at that moment', () => {
    const { clock, ending, told } = make(30);
    ending.begin('a', 'fast');
    ending.begin('b', 'slow');
    clock.advance(69);
    expect([ending.soon, told()]).toEqual([0, 0]);
    clock.advance(1); // 100 − 30 ms after its lease
    expect([ending.soon, told()]).toEqual([1, 1]);
    clock.advance(900); // past the fast one's expected end: still counted until it ends
    expect([ending.soon, told()]).toEqual([2, 2]);
    ending.end('a');
    expect(ending.soon).toBe(1);
    ending.end('a'); // twice (prompt end, then the attempt's end): once
    ending.end('b');
    expect([ending.soon, told()]).toEqual([0, 2]);
  });

  it('counts a slot whose job is shorter than the lead time at once', () => {
    const { ending, told } = make(150);
    ending.begin('a', 'fast');
    expect([ending.soon, told()]).toEqual([1, 1]);
  });

  it('never counts a slot ended before its time, one of a backend of unknown pace, or any with no lead time', () => {
    const early = make(30);
    early.ending.begin('a', 'fast');
    early.ending.end('a');
    early.clock.advance(1000);
    expect([early.ending.soon, early.told()]).toEqual([0, 0]);
    expect(early.clock.pending).toBe(0); // its timer went with it

    const unknown = make(30);
    unknown.ending.begin('a', 'unknown');
    unknown.clock.advance(10_000);
    expect([unknown.ending.soon, unknown.told()]).toEqual([0, 0]);

    const off = make(0);
    off.ending.begin('a', 'fast');
    off.clock.advance(10_000);
    expect([off.ending.soon, off.told()]).toEqual([0, 0]);
  });

  it('counts a slot begun twice (the same lease) once', () => {
    const { clock, ending } = make(30);
    ending.begin('a', 'fast');
    ending.begin('a', 'fast');
    clock.advance(100);
    expect(ending.soon).toBe(1);
  });
});
