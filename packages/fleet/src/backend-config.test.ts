import { parseBackendList } from './backend-config';

describe('parseBackendList', () => {
  it('reads the short form', () => {
    expect(parseBackendList('gpu0=http://127.0.0.1:8188;2;sdxl,fast gpu1=http://127.0.0.1:8189')).toEqual([
      { id: 'gpu0', kind: 'comfyui', url: 'http://127.0.0.1:8188', capacity: 2, tags: ['sdxl', 'fast'] },
      { id: 'gpu1', kind: 'comfyui', url: 'http://127.0.0.1:8189', capacity: 1, tags: [] },
    ]);
  });

  it('reads JSON', () => {
    const list = parseBackendList('[{"id":"a","url":"http://h:1","kind":"a1111","capacity":3}]');
    expect(list[0]).toMatchObject({ id: 'a', kind: 'a1111', capacity: 3 });
  });

  it('refuses duplicates, bad URLs and bad entries', () => {
    expect(() => parseBackendList('a=http://h:1 a=http://h:2')).toThrow(/twice/);
    expect(() => parseBackendList('a=ftp://h')).toThrow();
    expect(() => parseBackendList('nourl')).toThrow(/id=url/);
    expect(parseBackendList('  ')).toEqual([]);
  });
});
