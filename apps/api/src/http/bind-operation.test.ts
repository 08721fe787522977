import { Router } from 'express';
import { bindOperation } from './bind-operation';

describe('bindOperation', () => {
  const ok = (): void => undefined;

  it('registers the catalog method and path, below the mount, after the scope check', () => {
    const router = Router();
    bindOperation(router, '/api/v1/tenants', 'updateTenant', ok);
    const layer = (router as unknown as { stack: { route?: { path: string; methods: Record<string, boolean>; stack: unknown[] } }[] }).stack[0]!;
    expect(layer.route?.path).toBe('/:tenant');
    expect(layer.route?.methods).toMatchObject({ patch: true });
    expect(layer.route?.stack).toHaveLength(2); // scope check, handler
  });

  it('stops at start on an unknown operation or a path outside the mount', () => {
    expect(() => bindOperation(Router(), '/api/v1/tenants', 'noSuchOperation', ok)).toThrow(/noSuchOperation/);
    expect(() => bindOperation(Router(), '/api/v1/models', 'getTenant', ok)).toThrow(/not below the router's mount/);
  });
});
