import { JsonSchemaChecker } from './json-schema-check';

describe('JsonSchemaChecker', () => {
  const root = {
    components: {
      schemas: {
        Kind: { type: 'string', enum: ['a', 'b'] },
        Thing: {
          type: 'object',
          properties: {
            id: { type: 'string', format: 'uuid' },
            kind: { $ref: '#/components/schemas/Kind' },
            at: { type: ['string', 'null'], format: 'date-time' },
            n: { type: 'integer', minimum: 0, maximum: 10 },
            tags: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 2 },
            link: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }] },
            body: { oneOf: [{ type: 'object', properties: { t: { const: 'x' } }, required: ['t'] }, { type: 'null' }] },
            extra: { type: 'object', propertyNames: { maxLength: 3 }, additionalProperties: { type: 'number' } },
          },
          required: ['id', 'kind'],
          additionalProperties: false,
        },
      },
    },
  };
  const checker = new JsonSchemaChecker(root);
  const thing = { $ref: '#/components/schemas/Thing' };
  const good = {
    id: '019a7f4e-2c1b-7d3a-9c4e-5b6a7d8e9f01',
    kind: 'a',
    at: '2026-01-01T12:00:00.000Z',
    n: 3,
    tags: ['x'],
    link: ['4', 0],
    body: { t: 'x' },
    extra: { abc: 1.5 },
  };

  it('accepts a valid value', () => {
    expect(checker.check(thing, good)).toEqual([]);
    expect(checker.check(thing, { ...good, at: null, body: null })).toEqual([]);
  });

  it('reports every violation with its path', () => {
    const issues = checker.check(thing, {
      id: 'not-a-uuid',
      kind: 'c',
      at: 'yesterday',
      n: 11.5,
      tags: ['', 'b', 'c'],
      link: [4, 'x'],
      body: { t: 'y' },
      extra: { abcd: 'no' },
      surprise: true,
    });
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining(['$.id', '$.kind', '$.at', '$.n', '$.tags', '$.tags[0]', '$.link[0]', '$.link[1]', '$.body', '$.extra{abcd}', '$.extra.abcd', '$']),
    );
    expect(issues.find((i) => i.path === '$')?.message).toBe('unexpected property "surprise"');
    expect(checker.check(thing, { id: good.id })).toEqual([{ path: '$', message: 'missing required property "kind"' }]);
    expect(checker.check(thing, [])).toEqual([{ path: '$', message: 'expected object, got array' }]);
  });

  it('refuses keywords it does not know rather than ignoring them', () => {
    expect(() => checker.check({ type: 'object', dependentRequired: { a: ['b'] } }, {})).toThrow(/unsupported keyword "dependentRequired"/);
    expect(() => checker.check({ $ref: '#/components/schemas/Missing' }, {})).toThrow(/unresolved \$ref/);
  });
});
