import { parseYaml, parseYamlDocuments, YamlError } from './yaml-subset';

describe('parseYaml (the subset used by deploy/ and docker-compose.yml)', () => {
  it('reads block mappings, sequences at the key indent, scalars and comments', () => {
    const doc = parseYaml(`
# comment
apiVersion: apps/v1   # trailing comment
kind: Deployment
spec:
  replicas: 2
  enabled: true
  ratio: 0.5
  empty:
  tilde: ~
  quoted: "a: b # not a comment"
  single: 'it''s'
  url: redis://redis:6379/0
  containers:
  - name: api
    args: ["api", '--x', 3]
    env:
      - name: PORT
        value: "8080"
  - name: sidecar
    ports: []
    labels: {a: 1, b: "two"}
`);
    expect(doc).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      spec: {
        replicas: 2,
        enabled: true,
        ratio: 0.5,
        empty: null,
        tilde: null,
        quoted: 'a: b # not a comment',
        single: "it's",
        url: 'redis://redis:6379/0',
        containers: [
          { name: 'api', args: ['api', '--x', 3], env: [{ name: 'PORT', value: '8080' }] },
          { name: 'sidecar', ports: [], labels: { a: 1, b: 'two' } },
        ],
      },
    });
  });

  it('reads block scalars with chomping', () => {
    expect(parseYaml('a: |\n  one\n  two\nb: >-\n  folded\n  line\n\n  next\nc: |-\n  x\n')).toEqual({ a: 'one\ntwo\n', b: 'folded line\nnext', c: 'x' });
  });

  it('resolves anchors, aliases and merge keys (explicit keys win)', () => {
    const doc = parseYaml('base: &b\n  x: 1\n  y: 2\nother:\n  <<: *b\n  y: 3\nlist: &l [1, 2]\ncopy: *l\n');
    expect(doc).toEqual({ base: { x: 1, y: 2 }, other: { x: 1, y: 3 }, list: [1, 2], copy: [1, 2] });
  });

  it('reads nested flow collections, trailing commas included, and refuses broken ones', () => {
    expect(parseYaml('x: [1, [2, {a: [3, ], b: {}}], "c,d", ]\n')).toEqual({ x: [1, [2, { a: [3], b: {} }], 'c,d'] });
    expect(parseYaml('x: {a: 1, b: [], }\n')).toEqual({ x: { a: 1, b: [] } });
    expect(parseYaml('x: [1 2]\n')).toEqual({ x: ['1 2'] }); // a plain scalar with a space, as in YAML
    expect(() => parseYaml('x: [1, 2}\n')).toThrow(/bad flow sequence/);
    expect(() => parseYaml('x: {a 1}\n')).toThrow(/bad flow mapping/);
    expect(() => parseYaml('x: {a: 1, a: 2}\n')).toThrow(/duplicate key a/);
    expect(() => parseYaml('x: [1, 2] tail\n')).toThrow(YamlError);
  });

  it('splits documents and drops empty ones', () => {
    expect(parseYamlDocuments('---\na: 1\n---\n# only a comment\n---\n- b\n')).toEqual([{ a: 1 }, ['b']]);
  });

  it('refuses what it does not understand instead of misreading it', () => {
    expect(() => parseYaml('a: 1\na: 2\n')).toThrow(YamlError);
    expect(() => parseYaml('a: !!str 1\n')).toThrow(/tags/);
    expect(() => parseYaml('a: *nope\n')).toThrow(/unknown alias/);
    expect(() => parseYaml('a:\n\tb: 1\n')).toThrow(/tab/);
    expect(() => parseYaml('a: "open\n')).toThrow(/unterminated/);
    expect(() => parseYaml('a: 1\n   b: 2\n')).toThrow(YamlError);
  });
});
