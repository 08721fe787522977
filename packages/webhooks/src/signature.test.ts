import { checkWebhookSignature, computeSignature, signatureHeader, verifyWebhookSignature as verifyBool } from './signature';

// Most cases read the reason; verifyWebhookSignature (a plain boolean) is checked to agree.
const verifyWebhookSignature = (...args: Parameters<typeof checkWebhookSignature>) => {
  const result = checkWebhookSignature(...args);
  expect(verifyBool(...args)).toBe(result.ok);
  return result;
};

const body = JSON.stringify({ id: 'd1', type: 'job.succeeded', data: { job: { id: 'j1' } } });
const now = 1_800_000_000;

describe('webhook signatures', () => {
  it('signs <timestamp>.<body> with HMAC-SHA256 and verifies it', () => {
    const header = signatureHeader(['s3cret-s3cret-s3cret'], now, body);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(header).toContain(computeSignature('s3cret-s3cret-s3cret', now, `${body}`));
    expect(verifyWebhookSignature(body, header, 's3cret-s3cret-s3cret', { now })).toEqual({ ok: true, timestamp: now });
    expect(verifyWebhookSignature(Buffer.from(body), header, 's3cret-s3cret-s3cret', { now }).ok).toBe(true);
  });

  it('refuses another body, another secret, another timestamp', () => {
    const header = signatureHeader(['secret-a-secret-a'], now, body);
    expect(verifyWebhookSignature(`${body} `, header, 'secret-a-secret-a', { now })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyWebhookSignature(body, header, 'secret-b-secret-b', { now })).toEqual({ ok: false, reason: 'mismatch' });
    const moved = header.replace(`t=${now}`, `t=${now + 1}`);
    expect(verifyWebhookSignature(body, moved, 'secret-a-secret-a', { now })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses stale and future timestamps (replays) outside the tolerance', () => {
    const header = signatureHeader(['secret-a-secret-a'], now, body);
    expect(verifyWebhookSignature(body, header, 'secret-a-secret-a', { now: now + 301 })).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhookSignature(body, header, 'secret-a-secret-a', { now: now - 301 })).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhookSignature(body, header, 'secret-a-secret-a', { now: now + 60, toleranceSeconds: 30 }).ok).toBe(false);
    expect(verifyWebhookSignature(body, header, 'secret-a-secret-a', { now: now + 300 }).ok).toBe(true);
  });

  it('supports rotation: one v1 per secret, and a receiver with either secret verifies', () => {
    const header = signatureHeader(['new-secret-new-secret', 'old-secret-old-secret'], now, body);
    expect(header.split(',').filter((p) => p.startsWith('v1='))).toHaveLength(2);
    expect(verifyWebhookSignature(body, header, 'old-secret-old-secret', { now }).ok).toBe(true);
    expect(verifyWebhookSignature(body, header, 'new-secret-new-secret', { now }).ok).toBe(true);
    expect(verifyWebhookSignature(body, header, ['other-secret-other', 'new-secret-new-secret'], { now }).ok).toBe(true);
  });

  it('reports malformed headers without throwing', () => {
    for (const bad of [undefined, null, '', 'garbage', `t=${now}`, 'v1=abc', `t=x,v1=${'a'.repeat(64)}`, `t=${now},v1=${'z'.repeat(64)}`]) {
      expect(verifyWebhookSignature(body, bad, 'secret-a-secret-a', { now })).toEqual({ ok: false, reason: 'malformed' });
    }
    expect(verifyWebhookSignature(body, signatureHeader(['x'], now, body), '', { now })).toEqual({ ok: false, reason: 'malformed' });
    expect(() => signatureHeader([], now, body)).toThrow();
  });
});
