import { ManualClock } from '@gantry/domain';
import { SlotsEnding } from './slots-ending';

describe('SlotsEnding', () => {
  const paces: Record<string, number | null> = { fast: 100, slow: 1000, unknown: null };
  const make = (leadMs: number) => {
    const clock = new ManualClock();
    const ending = new SlotsEnding((id) => paces[id] ?? null, leadMs, clock);
    let told = 0;
    ending.onChange(() => told++);
    return { clock, ending, told: () => told };
  };

  it('counts a slot within the lead time of its expected end (by its backend’s pace), either side, and tells at both moments', () => {
    const { clock, ending, told } = make(30);
    ending.begin('a', 'fast');
    ending.begin('b', 'slow');
    clock.advance(69);
    expect([ending.soon, told()]).toEqual([0, 0]);
    clock.advance(1); // 100 − 30 ms after its lease
    expect([ending.soon, told()]).toEqual([1, 1]);
    clock.advance(59); // still within 30 ms past its expected end
    expect([ending.soon, told()]).toEqual([1, 1]);
    clock.advance(1); // a longer job than the backend's usual: no more room kept for it
    expect([ending.soon, told()]).toEqual([0, 2]);
    clock.advance(840); // the slow one's turn
    expect([ending.soon, told()]).toEqual([1, 3]);
    ending.end('b');
    expect([ending.soon, told()]).toEqual([0, 3]); // ended: not told (its end is the caller's own)
    ending.end('b'); // twice (prompt end, then the attempt's end): once
    ending.end('a');
    expect(ending.soon).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('counts a slot whose job is shorter than the lead time at once, until the lead time past its expected end', () => {
    const { clock, ending, told } = make(150);
    ending.begin('a', 'fast');
    expect([ending.soon, told()]).toEqual([1, 1]);
    clock.advance(249);
    expect(ending.soon).toBe(1);
    clock.advance(1);
    expect([ending.soon, told()]).toEqual([0, 2]);
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

  it('counts a slot begun twice (the same lease) once, and ends it while counted', () => {
    const { clock, ending } = make(30);
    ending.begin('a', 'fast');
    ending.begin('a', 'fast');
    clock.advance(100);
    expect(ending.soon).toBe(1);
    ending.end('a');
    expect(ending.soon).toBe(0);
    expect(clock.pending).toBe(0);
    clock.advance(1000);
    expect(ending.soon).toBe(0);
  });

  it('calls back a slot that starts counting (queue-ahead), at once when it counts already, and never one that will not', () => {
    const { clock, ending } = make(30);
    const called: string[] = [];
    ending.begin('a', 'fast');
    ending.whenSoon('a', () => called.push('a'));
    clock.advance(69);
    expect(called).toEqual([]);
    clock.advance(1); // 100 − 30 ms after its lease
    expect(called).toEqual(['a']);
    ending.whenSoon('a', () => called.push('a again')); // counts now: at once
    expect(called).toEqual(['a', 'a again']);
    clock.advance(1000); // past its expected end by more than the lead: no more calls
    ending.whenSoon('a', () => called.push('a late'));
    ending.begin('b', 'fast');
    ending.whenSoon('b', () => called.push('b'));
    ending.end('b'); // ended before it counted
    ending.begin('c', 'unknown'); // no pace: never counts
    ending.whenSoon('c', () => called.push('c'));
    ending.whenSoon('none', () => called.push('none'));
    clock.advance(10_000);
    expect(called).toEqual(['a', 'a again']);
  });

  it('ends a slot from its own callback cleanly: the count never goes below 0 and no timer is left (queue-ahead ends it there)', () => {
    const { clock, ending, told } = make(30);
    ending.begin('a', 'fast');
    ending.whenSoon('a', () => ending.end('a')); // as freeAtPromptEnd does
    clock.advance(70);
    expect(ending.soon).toBe(0);
    expect(clock.pending).toBe(0);
    clock.advance(1000);
    expect([ending.soon, told()]).toEqual([0, 1]);
    // Counting at once (a job shorter than the lead), ended from a callback registered then.
    const short = make(150);
    short.ending.begin('b', 'fast');
    short.ending.whenSoon('b', () => short.ending.end('b'));
    expect(short.ending.soon).toBe(0);
    expect(short.clock.pending).toBe(0);
    short.clock.advance(1000);
    expect(short.ending.soon).toBe(0);
  });
});
