import { operations } from './operations';
import { ROUTES, routePath, type OperationId } from './routes';

describe('the route table', () => {
  it('has one catalog entry per route, with its method, path and scope', () => {
    expect(operations.map((op) => op.operationId).sort()).toEqual(Object.keys(ROUTES).sort());
    for (const op of operations) expect({ method: op.method, path: op.path, scope: op.scope }).toEqual(ROUTES[op.operationId as OperationId]);
  });

  it('names each method and path once', () => {
    const keys = Object.values(ROUTES).map((r) => `${r.method} ${r.path}`);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  });

  it('names every path parameter the catalog describes, and only those', () => {
    const mismatched = operations.filter((op) => {
      const inPath = [...op.path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]).sort();
      return JSON.stringify(inPath) !== JSON.stringify(Object.keys(op.pathParams ?? {}).sort());
    });
    expect(mismatched.map((op) => op.operationId)).toEqual([]);
  });
});

describe('routePath', () => {
  it('fills the path parameters, URL-encoded', () => {
    expect(routePath('listJobs')).toBe('/api/v1/jobs');
    expect(routePath('getJob', { id: '019a7f4e-2c1b-7d3a-9c4e-5b6a7d8e9f01' })).toBe('/api/v1/jobs/019a7f4e-2c1b-7d3a-9c4e-5b6a7d8e9f01');
    expect(routePath('getJobArtifact', { id: 'j', artifactId: 'a' })).toBe('/api/v1/jobs/j/artifacts/a');
    expect(routePath('getBackend', { id: 'gpu 0/../x?y#z' })).toBe('/api/v1/backends/gpu%200%2F..%2Fx%3Fy%23z');
    expect(routePath('getTenant', { tenant: 'current' })).toBe('/api/v1/tenants/current');
  });

  it('throws on a missing parameter (a call the compiler did not check)', () => {
    const unchecked = routePath as (id: OperationId, params?: Record<string, string>) => string;
    expect(() => unchecked('getJob', {})).toThrow('getJob: path parameter id is missing');
    expect(() => unchecked('getJob')).toThrow(TypeError);
  });
});
