import { createApiKeySchema, findUnstorable, INT4_MAX, isStorableText, jobEventsQuerySchema, listJobsQuerySchema, storableJson, submitJobSchema } from './index';

const workflow = { '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sd15.safetensors' } } };

/** `path → code` of every issue, for compact expectations. */
function issuesOf(result: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; code: string; params?: unknown }> } }) {
  return (result.error?.issues ?? []).map((i) => `${i.path.map(String).join('.')} ${(i.params as { code?: string } | undefined)?.code ?? i.code}`);
}

describe('isStorableText', () => {
  it('refuses U+0000 and unpaired surrogates, keeps every other character', () => {
    expect(isStorableText('plain, ünïcödé, 日本語, emoji 😀 (a surrogate pair)')).toBe(true);
    expect(isStorableText('\u0001\u007f\ufffd\uffff')).toBe(true);
    expect(isStorableText('a\u0000b')).toBe(false);
    expect(isStorableText('high \ud800 alone')).toBe(false);
    expect(isStorableText('low \udc00 alone')).toBe(false);
    expect(isStorableText('reversed \ude00\ud83d')).toBe(false);
    expect(isStorableText('\ud83d')).toBe(false); // half an emoji at the end
  });
});

describe('findUnstorable', () => {
  it('names every bad key, string and number at any depth', () => {
    const value = { ok: ['fine', 1, null, true], 'k\u0000': 1, deep: { list: [{ s: 'x\ud800' }] }, huge: Infinity };
    expect(findUnstorable(value)).toEqual([
      { path: ['k\u0000'], kind: 'text' },
      { path: ['deep', 'list', 0, 's'], kind: 'text' },
      { path: ['huge'], kind: 'number' },
    ]);
    expect(findUnstorable({ a: [1, 'two', { three: 3 }] })).toEqual([]);
  });

  it('walks nesting far deeper than a recursive walk could', () => {
    let deep: unknown = 'bottom\u0000';
    for (let i = 0; i < 100_000; i++) deep = i % 2 ? [deep] : { k: deep };
    expect(findUnstorable(deep)).toHaveLength(1);
  });

  it('bounds its report', () => {
    expect(findUnstorable(Array.from({ length: 1000 }, () => '\u0000'), 5)).toHaveLength(5);
  });
});

describe('stored request fields', () => {
  it('refuses unstorable text wherever a job stores it, naming the field', () => {
    const body = {
      workflow: { 'n\u0000': { class_type: 'A' }, '3': { class_type: 'A\ud800', inputs: { 'k\u0000': 1, text: 'x\u0000', nested: [{ deep: '\udc00' }] }, _meta: { title: 't\u0000', extra: { 'e\u0000': 1 } } } },
      metadata: { 'm\u0000': 1, shot: { take: 'a\ud800' } },
      requirements: { tags: ['sdxl\u0000'] },
      webhook: { url: 'https://example.com/hook\u0000' },
    };
    expect(issuesOf(submitJobSchema.safeParse(body))).toEqual(
      expect.arrayContaining([
        'workflow.n\u0000 invalid_key',
        'workflow.3.class_type unstorable_text',
        'workflow.3.inputs.k\u0000 invalid_key',
        'workflow.3.inputs.text unstorable_text',
        'workflow.3.inputs.nested.0.deep unstorable_text',
        'workflow.3._meta.title unstorable_text',
        'workflow.3._meta.extra.e\u0000 unstorable_text',
        'metadata.m\u0000 invalid_key',
        'metadata.shot.take unstorable_text',
        'requirements.tags.0 unstorable_text',
        'webhook.url unstorable_text',
      ]),
    );
    const txt2img = { txt2img: { prompt: 'p\u0000', negative_prompt: 'n\ud800', sampler_name: 's\u0000', scheduler: 'k\u0000', model: 'm\udfff' } };
    expect(issuesOf(submitJobSchema.safeParse(txt2img))).toEqual([
      'txt2img.prompt unstorable_text',
      'txt2img.negative_prompt unstorable_text',
      'txt2img.sampler_name unstorable_text',
      'txt2img.scheduler unstorable_text',
      'txt2img.model unstorable_text',
    ]);
    expect(issuesOf(createApiKeySchema.safeParse({ tenant: 'a', scopes: ['read'], name: 'ci\u0000' }))).toEqual(['name unstorable_text']);
  });

  it('still accepts ordinary text, emoji included', () => {
    const body = { workflow: { ...workflow, '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a cat 😺 ünder the moon' } } }, metadata: { shot: '日本' } };
    expect(submitJobSchema.safeParse(body).success).toBe(true);
  });

  it('refuses a JSON number without a finite value (JSON.parse turns 1e400 into Infinity)', () => {
    expect(issuesOf(storableJson().safeParse(JSON.parse('{"x": 1e400}')))).toEqual(['x unstorable_number']);
  });
});

describe('integer query parameters', () => {
  it('take decimal digits only, within the column', () => {
    expect(jobEventsQuerySchema.parse({})).toEqual({ since: 0 });
    expect(jobEventsQuerySchema.parse({ since: '42' })).toEqual({ since: 42 });
    expect(jobEventsQuerySchema.parse({ since: String(INT4_MAX) })).toEqual({ since: INT4_MAX });
    for (const since of ['', ' 1', '1 ', '+1', '-1', '0x10', '1e3', '1.0', '1.5', 'NaN', 'Infinity', String(INT4_MAX + 1), '9'.repeat(400), ['1', '2']]) {
      expect({ since, ok: jobEventsQuerySchema.safeParse({ since }).success }).toEqual({ since, ok: false });
    }
    expect(listJobsQuerySchema.parse({ limit: '200' }).limit).toBe(200);
    expect(listJobsQuerySchema.safeParse({ limit: '201' }).success).toBe(false);
    expect(listJobsQuerySchema.safeParse({ limit: '' }).success).toBe(false);
  });
});
