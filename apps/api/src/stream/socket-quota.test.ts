import { SocketQuota } from './socket-quota';

describe('SocketQuota', () => {
  it('gives each holder at most cap slots and takes them back one by one', () => {
    const quota = new SocketQuota(2);
    expect([quota.tryAcquire('a'), quota.tryAcquire('a'), quota.tryAcquire('a')]).toEqual([true, true, false]);
    expect(quota.tryAcquire('b')).toBe(true);
    quota.release('a');
    expect(quota.held('a')).toBe(1);
    expect(quota.tryAcquire('a')).toBe(true);
    quota.release('a');
    quota.release('a');
    expect(quota.held('a')).toBe(0);
    expect(quota.held('b')).toBe(1);
  });

  it('has no cap at 0', () => {
    const quota = new SocketQuota(0);
    for (let i = 0; i < 1000; i++) expect(quota.tryAcquire('a')).toBe(true);
    expect(quota.held('a')).toBe(1000);
  });
});
