import { Router } from 'express';
import { operations } from '@gantry/contract';
import { assertCatalogBound, bindOperation, mountBound, type HttpOperationId } from './bind-operation';

type Layer = { route?: { path: string; methods: Record<string, boolean>; stack: unknown[] }; regexp?: RegExp; handle?: unknown };
const stackOf = (router: Router) => (router as unknown as { stack: Layer[] }).stack;

/** One router per mount binding every HTTP operation of the catalog below it, as the API does. */
function bindAll(skip: readonly string[] = []): Router[] {
  const routers = new Map<string, Router>();
  for (const op of operations) {
    if (op.transport === 'websocket' || skip.includes(op.operationId)) continue;
    const mount = op.path.split('/').slice(0, op.path.startsWith('/api/v1/') ? 4 : 1).join('/');
    if (!routers.has(mount)) routers.set(mount, Router());
    bindOperation(routers.get(mount)!, mount, op.operationId as HttpOperationId, () => undefined);
  }
  return [...routers.values()];
}

describe('bindOperation', () => {
  const ok = (): void => undefined;

  it('registers the catalog method and path, below the mount, after the scope check', () => {
    const router = Router();
    bindOperation(router, '/api/v1/tenants', 'updateTenant', ok);
    const layer = stackOf(router)[0]!;
    expect(layer.route?.path).toBe('/:tenant');
    expect(layer.route?.methods).toMatchObject({ patch: true });
    expect(layer.route?.stack).toHaveLength(2); // scope check, handler
  });

  it('stops at start on an unknown operation, a path outside the mount, or another mount on the same router', () => {
    expect(() => bindOperation(Router(), '/api/v1/tenants', 'noSuchOperation' as HttpOperationId, ok)).toThrow(/noSuchOperation/);
    expect(() => bindOperation(Router(), '/api/v1/models', 'getTenant', ok)).toThrow(/not below the router's mount/);
    const router = Router();
    bindOperation(router, '/api/v1/models', 'listModels', ok);
    expect(() => bindOperation(router, '/api/v1', 'getApiDocs', ok)).toThrow(/other operations below \/api\/v1\/models/);
  });

  it('types the input from the catalog entry: only the parts it declares, with their fields', () => {
    bindOperation(Router(), '/api/v1/jobs', 'listJobEvents', (_req, _res, bound) => {
      const since: number = bound.query().since;
      const id: string = bound.params().id;
      // @ts-expect-error listJobEvents has no body
      bound.body();
      // @ts-expect-error nor this query field
      void bound.query().status;
      void [since, id];
    });
    bindOperation(Router(), '/api/v1/jobs', 'createJob', (_req, _res, bound) => {
      const key: string | undefined = bound.header('Idempotency-Key');
      // @ts-expect-error createJob declares no such header
      bound.header('If-Range');
      void key;
    });
  });
});

describe('assertCatalogBound', () => {
  const ok = (): void => undefined;

  it('passes when every HTTP operation of the catalog is bound exactly once', () => {
    expect(() => assertCatalogBound(bindAll())).not.toThrow();
  });

  it('stops the API naming an operation nobody bound', () => {
    expect(() => assertCatalogBound(bindAll(['getJob', 'listModels']))).toThrow(/not bound \[getJob, listModels\], bound twice \[\]/);
  });

  it('stops the API naming an operation bound twice', () => {
    const extra = Router();
    bindOperation(extra, '/api/v1/jobs', 'getJob', ok);
    expect(() => assertCatalogBound([...bindAll(), extra])).toThrow(/not bound \[\], bound twice \[getJob\]/);
  });
});

describe('mountBound', () => {
  it('mounts a router where its operations are, relative to the parent', () => {
    const jobs = Router();
    bindOperation(jobs, '/api/v1/jobs', 'getJob', () => undefined);
    const parent = { use: jest.fn() };
    mountBound(parent, '/api/v1', jobs);
    expect(parent.use).toHaveBeenCalledWith('/jobs', jobs);
    expect(() => mountBound(parent, '/api/v2', jobs)).toThrow(/bound below \/api\/v1\/jobs, not below \/api\/v2/);
    expect(() => mountBound(parent, '', Router())).toThrow(/binds no operation/);
  });
});
