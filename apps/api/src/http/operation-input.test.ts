import type { Request } from 'express';
import { z } from 'zod';
import { operations, type OperationSpec } from '@gantry/contract';
import { operationInput } from './operation-input';

const entry = (id: string): OperationSpec => operations.find((o) => o.operationId === id)!;

/** Just what the reader uses of a request. */
function request(parts: { params?: Record<string, string>; query?: unknown; body?: unknown; headers?: Record<string, string>; json?: boolean }): Request {
  const headers = Object.fromEntries(Object.entries(parts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    params: parts.params ?? {},
    query: parts.query ?? {},
    body: parts.body,
    headers,
    get: (name: string) => headers[name.toLowerCase()],
    is: () => (parts.json ? 'application/json' : false),
  } as unknown as Request;
}

const problem = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    const e = err as { code?: string; message: string; details?: unknown };
    return { code: e.code, message: e.message, details: e.details };
  }
  return undefined;
};

describe('operationInput', () => {
  it('answers a malformed path id as not found, with the detail of a missing one, in the order of the path', () => {
    const input = operationInput(entry('getJobArtifact'));
    const artifact = '019a7f4e-2c1b-7d3a-9c4e-5b6a7d8e9f01';
    expect(problem(() => input.reader(request({ params: { id: 'nope', artifactId: 'nope' } })).params())).toMatchObject({ code: 'NOT_FOUND', message: 'No such job' });
    expect(problem(() => input.reader(request({ params: { id: artifact, artifactId: 'nope' } })).params())).toMatchObject({ code: 'NOT_FOUND', message: 'No such artifact' });
    expect(input.reader(request({ params: { id: artifact, artifactId: artifact } })).params()).toEqual({ id: artifact, artifactId: artifact });
  });

  it('passes a tenant name on as sent: resolveTenant refuses another tenant (403) before a malformed name (404)', () => {
    expect(operationInput(entry('getTenant')).reader(request({ params: { tenant: 'NOT A NAME' } })).params()).toEqual({ tenant: 'NOT A NAME' });
  });

  it('parses query and body with the catalog schemas: 422 naming the part and every failing field', () => {
    expect(problem(() => operationInput(entry('listJobs')).reader(request({ query: { limit: 'x' } })).query())).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'The query is invalid',
      details: [expect.objectContaining({ path: 'limit' })],
    });
    expect(problem(() => operationInput(entry('updateTenant')).reader(request({ body: { retentionDays: 'x' }, json: true })).body())).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'The tenant settings is invalid',
    });
  });

  it('refuses a body that is not JSON (415); an optional one only when sent', () => {
    expect(problem(() => operationInput(entry('createApiKey')).checkMediaType(request({})))).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    const rotate = operationInput(entry('rotateApiKey'));
    expect(problem(() => rotate.checkMediaType(request({})))).toBeUndefined();
    expect(problem(() => rotate.checkMediaType(request({ headers: { 'content-length': '2' } })))).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(rotate.reader(request({})).body()).toEqual({ graceSeconds: 0 });
    expect(problem(() => operationInput(entry('createUpload')).checkMediaType(request({})))).toBeUndefined(); // streamed, never parsed here
  });

  it('checks a declared header when read: absent is undefined, malformed 400', () => {
    const input = operationInput(entry('createJob'));
    expect(input.reader(request({})).header('Idempotency-Key')).toBeUndefined();
    expect(input.reader(request({ headers: { 'Idempotency-Key': 'k-1' } })).header('Idempotency-Key')).toBe('k-1');
    expect(problem(() => input.reader(request({ headers: { 'Idempotency-Key': 'has space' } })).header('Idempotency-Key'))).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Idempotency-Key must be 1-255 visible ASCII characters',
    });
  });

  it('stops at start on a path parameter or a body it has no answer for', () => {
    const widgets: OperationSpec = { ...entry('getJob'), path: '/api/v1/widgets/{id}', pathParams: { id: z.string() } };
    expect(() => operationInput(widgets)).toThrow(/getJob: no answer for a malformed \{id\} below \/widgets/);
    const workflow: OperationSpec = { ...entry('createJob'), body: { schema: 'Workflow' } };
    expect(() => operationInput(workflow)).toThrow(/createJob: no name for a refused Workflow/);
  });
});
