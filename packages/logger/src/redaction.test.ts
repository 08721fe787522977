import { Writable } from 'node:stream';
import { createLogger } from './index';

function capture(options: { logPrompts?: boolean } = {}) {
  const lines: Record<string, any>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, logger: createLogger({ name: 'test', level: 'debug', destination, ...options }) };
}

const entry = {
  jobId: 'j1',
  workflow: { '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a secret castle' } } },
  params: { prompt: 'a secret castle', negative_prompt: 'blurry secret' },
  err: { details: { workflow: { '6': { inputs: { text: 'a secret castle' } } } } },
  headers: { authorization: 'Bearer gk_live_secret' },
  apiKey: 'gk_live_secret',
};

describe('log redaction', () => {
  it('redacts prompt and workflow text and secrets by default', () => {
    const { lines, logger } = capture();
    logger.info(entry, 'submitted');
    const line = lines[0]!;
    expect(JSON.stringify(line)).not.toMatch(/secret castle|blurry secret|gk_live_secret/);
    expect(line.workflow).toBe('[redacted]');
    expect(line.params).toEqual({ prompt: '[redacted]', negative_prompt: '[redacted]' });
    expect(line.err.details.workflow).toBe('[redacted]');
    expect(line.jobId).toBe('j1');
  });

  it('keeps prompt text with logPrompts (GANTRY_LOG_PROMPTS=true), never the secrets', () => {
    const { lines, logger } = capture({ logPrompts: true });
    logger.info(entry, 'submitted');
    const line = lines[0]!;
    expect(line.params.prompt).toBe('a secret castle');
    expect(line.workflow['6'].inputs.text).toBe('a secret castle');
    expect(line.headers.authorization).toBe('[redacted]');
    expect(line.apiKey).toBe('[redacted]');
  });
});
