import { jobView, submitJobSchema, webhookEventFor } from './index';

const workflow = { '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'x' } } };

describe('job webhook field', () => {
  it('accepts http(s) URLs with optional events', () => {
    expect(submitJobSchema.parse({ workflow, webhook: { url: 'https://example.com/h?t=1' } }).webhook).toEqual({ url: 'https://example.com/h?t=1' });
    expect(submitJobSchema.parse({ workflow, webhook: { url: 'http://example.com', events: ['job.failed'] } }).webhook?.events).toEqual(['job.failed']);
  });

  it.each([
    [{ url: 'ftp://example.com/' }],
    [{ url: 'javascript:alert(1)' }],
    [{ url: 'https://u:p@example.com/' }],
    [{ url: 'https://u@example.com/' }],
    [{ url: 'example.com/hook' }],
    [{ url: 'http://example.com/', events: ['job.queued'] }],
    [{ url: 'http://example.com/', events: [] }],
    [{ url: 'http://example.com/', extra: true }],
    [{}],
  ])('refuses %j', (webhook) => {
    expect(submitJobSchema.safeParse({ workflow, webhook }).success).toBe(false);
  });

  it('maps terminal statuses to events', () => {
    expect(['succeeded', 'failed', 'canceled', 'running', 'queued'].map(webhookEventFor)).toEqual(['job.succeeded', 'job.failed', 'job.canceled', null, null]);
  });

  it('shows the webhook in the job view', () => {
    const base = {
      id: '019a0000-0000-7000-8000-000000000000', kind: 'workflow' as const, status: 'succeeded' as const, priority: 0, progress: 1,
      attempts: 1, backendId: 'sim0', requirements: null, metadata: null, timeoutSeconds: null, createdAt: new Date(0),
      startedAt: null, finishedAt: null, errorCode: null, errorMessage: null, errorDetails: null, retryOf: null, reusedFrom: null, lastError: null,
    };
    expect(jobView({ ...base, webhookUrl: 'https://example.com/h', webhookEvents: ['job.succeeded'] }, []).webhook).toEqual({
      url: 'https://example.com/h',
      events: ['job.succeeded'],
    });
    expect(jobView({ ...base, webhookUrl: null, webhookEvents: [] }, []).webhook).toBeNull();
  });
});
