import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import request from 'supertest';
import { securityHeaders } from './security-headers.js';

/** The headers of a response from an app with `headers` before a route that answers JSON. */
async function headersWith(headers: RequestHandler): Promise<Record<string, unknown>> {
  const app = express();
  app.use(headers);
  app.get('/x', (_req, res) => {
    res.json({ ok: true });
  });
  const res = await request(app).get('/x');
  const { date: _date, ...rest } = res.headers as Record<string, unknown>;
  return rest;
}

describe('securityHeaders', () => {
  it('sets and removes exactly what helmet() does', async () => {
    const ours = await headersWith(securityHeaders());
    expect(ours).toEqual(await headersWith(helmet()));
    expect(ours).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'SAMEORIGIN' });
    expect(ours['content-security-policy']).toContain("default-src 'self'");
    expect(ours).not.toHaveProperty('x-powered-by');
  });
});
