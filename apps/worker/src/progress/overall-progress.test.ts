import { OverallProgress } from './overall-progress';

describe('OverallProgress', () => {
  it('counts cached nodes as done and steps inside the running node', () => {
    const p = new OverallProgress(['1', '2', '3', '4']);
    expect(p.cached(['1'])).toBe(0.25);
    expect(p.executing('2')).toBe(0.25);
    expect(p.step('2', 5, 10)).toBe(0.375);
    expect(p.executing('3')).toBe(0.5);
    expect(p.finished()).toBe(1);
  });

  it('never falls and stays below 1 until finished', () => {
    const p = new OverallProgress(['a', 'b']);
    p.executing('a');
    expect(p.step('a', 9, 10)).toBe(0.45);
    expect(p.step('a', 2, 10)).toBe(0.45);
    p.executing('b');
    expect(p.step('b', 10, 10)).toBe(0.99);
    expect(p.value()).toBe(0.99);
  });

  it('handles step progress that names no node', () => {
    const p = new OverallProgress(['a', 'b']);
    p.executing('a');
    expect(p.step(null, 1, 2)).toBe(0.25);
  });
});
