import { bearerMatches } from './metrics-auth';
import { bounded, MAX_BREAKDOWN_SERIES } from './pending-work';
import { cachedRouteLabel, routeLabel } from './route-label';
import { closeCodeLabel } from './stream-metrics';

describe('routeLabel', () => {
  it('joins the mount path and the route pattern', () => {
    expect(routeLabel('/api/v1/jobs', { path: '/:id' })).toBe('/api/v1/jobs/:id');
    // Express matches mounts whatever their case: the request's spelling makes no series of its own.
    expect(routeLabel('/API/V1/Jobs', { path: '/:id' })).toBe('/api/v1/jobs/:id');
    expect(routeLabel('/api/v1/health', { path: '/' })).toBe('/api/v1/health');
    expect(routeLabel('', { path: '/metrics' })).toBe('/metrics');
    expect(routeLabel('', { path: '/' })).toBe('/');
  });

  it('never lets a value of the URL into the label', () => {
    expect(routeLabel('/api/v1/jobs/0193a2b4-7c1d-7e2f-8a9b-0c1d2e3f4a5b/webhooks', { path: '/:hookId' })).toBe('/api/v1/jobs/:param/webhooks/:hookId');
    expect(routeLabel('/api/v1/things/12345', { path: '/' })).toBe('/api/v1/things/:param');
    expect(routeLabel(`/x/${'a'.repeat(80)}`, { path: '/' })).toBe('/x/:param');
  });

  it('names non-string patterns without their values', () => {
    expect(routeLabel('', { path: /ab+c/ })).toBe('(pattern)');
    expect(routeLabel('', { path: ['/a', '/b'] })).toBe('/a|/b');
  });
});

describe('cachedRouteLabel', () => {
  it('answers what routeLabel answers, per route and mount path', () => {
    const route = { path: '/:id' };
    expect(cachedRouteLabel('/api/v1/jobs', route)).toBe('/api/v1/jobs/:id');
    expect(cachedRouteLabel('/api/v1/jobs', route)).toBe('/api/v1/jobs/:id');
    expect(cachedRouteLabel('/api/v1/uploads', route)).toBe('/api/v1/uploads/:id');
    expect(cachedRouteLabel('/api/v1/jobs', { path: '/' })).toBe('/api/v1/jobs');
    expect(cachedRouteLabel('', undefined)).toBe('(pattern)');
  });

  it('never lets a value into the label, however many mount paths a route sees', () => {
    const route = { path: '/:hookId' };
    for (let i = 0; i < 100; i++) expect(cachedRouteLabel(`/api/v1/things/${1000 + i}/hooks`, route)).toBe('/api/v1/things/:param/hooks/:hookId');
  });
});

describe('bounded breakdowns', () => {
  it('keeps the biggest groups and sums the rest as other', () => {
    const rows = Array.from({ length: MAX_BREAKDOWN_SERIES + 3 }, (_, i) => ({ key: `t${i}`, jobs: 100 - i, oldest: i }));
    const groups = bounded(rows);
    expect(groups).toHaveLength(MAX_BREAKDOWN_SERIES + 1);
    const other = groups.find((g) => g.key === 'other')!;
    expect(other.jobs).toBe((100 - MAX_BREAKDOWN_SERIES) + (100 - MAX_BREAKDOWN_SERIES - 1) + (100 - MAX_BREAKDOWN_SERIES - 2));
    expect(other.oldestAgeSeconds).toBe(MAX_BREAKDOWN_SERIES + 2);
  });

  it('shortens long values and names a missing one default', () => {
    const [long, none] = bounded([{ key: 'x'.repeat(300), jobs: 1, oldest: null }, { key: null, jobs: 2, oldest: -1 }]);
    expect(long!.key).toHaveLength(100);
    expect(none).toEqual({ key: 'default', jobs: 2, oldestAgeSeconds: 0 });
  });
});

describe('bearerMatches', () => {
  it('accepts exactly the configured token', () => {
    expect(bearerMatches('Bearer secret-token-1234567890', 'secret-token-1234567890')).toBe(true);
    expect(bearerMatches('bearer secret-token-1234567890', 'secret-token-1234567890')).toBe(true);
    expect(bearerMatches('Bearer secret-token-123456789', 'secret-token-1234567890')).toBe(false);
    expect(bearerMatches('Basic c2VjcmV0', 'secret-token-1234567890')).toBe(false);
    expect(bearerMatches(undefined, 'secret-token-1234567890')).toBe(false);
    expect(bearerMatches('Bearer a b', 'a b')).toBe(false);
  });
});

describe('closeCodeLabel', () => {
  it('keeps known codes and folds the rest, so clients cannot grow the label set', () => {
    expect(closeCodeLabel(1000)).toBe('1000');
    expect(closeCodeLabel(4408)).toBe('4408');
    expect(closeCodeLabel(4999)).toBe('other');
    expect(closeCodeLabel(3000)).toBe('other');
  });
});
