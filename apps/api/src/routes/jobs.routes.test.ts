import type { Request, Response, Router } from 'express';
import type { AppError } from '@gantry/domain';
import type { ApiDeps } from '../context';
import { submitJobParser } from '../services/submit-job-parse';
import { jobsRouter } from './jobs.routes';

type Layer = { route?: { path: string; methods: Record<string, boolean>; stack: Array<{ handle: (req: Request, res: Response, next: () => void) => unknown }> } };

/** The last handler of the route bound at `path` for `method`: the bound operation itself (after the scope check). */
function boundHandler(router: Router, method: string, path: string) {
  const layer = (router as unknown as { stack: Layer[] }).stack.find((l) => l.route?.path === path && l.route.methods[method]);
  if (!layer) throw new Error(`no ${method} ${path}`);
  return layer.route!.stack.at(-1)!.handle;
}

describe('jobsRouter', () => {
  afterEach(() => jest.restoreAllMocks());

  it('parses the body of POST /api/v1/jobs with submitJobParser (the workflow not copied), not the catalog schema', async () => {
    const parse = jest.spyOn(submitJobParser, 'safeParse');
    const handle = boundHandler(jobsRouter({} as ApiDeps), 'post', '/');
    // An invalid body: the handler stops at its parse (422), before anything needs the services.
    const body = { workflow: { '1': { class_type: '' } } };
    const req = { body, headers: { 'content-type': 'application/json', 'content-length': '40' }, is: () => 'application/json', get: () => undefined, params: {} } as unknown as Request;
    await expect(Promise.resolve(handle(req, {} as Response, () => undefined))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' } satisfies Partial<AppError>);
    expect(parse).toHaveBeenCalledWith(body);
  });
});
