import { bodyError, coerce, validateModel, type FieldSpec } from './pydantic.js';
import { parseTxt2ImgRequest, TXT2IMG_FIELDS } from './txt2img-request.js';

describe('pydantic v1 coercion', () => {
  it.each([
    ['int', '20', 20],
    ['int', 20.9, 20],
    ['int', true, 1],
    ['float', '7.5', 7.5],
    ['float', 7, 7],
    ['str', 12, '12'],
    ['str', false, 'False'],
    ['bool', 'Yes', true],
    ['bool', 0, false],
    ['bool', 'off', false],
  ] as const)('accepts %s %p as %p', (kind, input, expected) => {
    expect(coerce(kind, input, ['body', 'x'])).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['int', 'abc', 'value is not a valid integer', 'type_error.integer'],
    ['int', '2.5', 'value is not a valid integer', 'type_error.integer'],
    ['int', [], 'value is not a valid integer', 'type_error.integer'],
    ['float', 'seven', 'value is not a valid float', 'type_error.float'],
    ['str', {}, 'str type expected', 'type_error.str'],
    ['bool', 2, 'value could not be parsed to a boolean', 'type_error.bool'],
    ['dict', [1], 'value is not a valid dict', 'type_error.dict'],
    ['list', 'a', 'value is not a valid list', 'type_error.list'],
  ] as const)('rejects %s %p with "%s"', (kind, input, msg, type) => {
    expect(coerce(kind, input, ['body', 'x'])).toEqual({ ok: false, detail: [{ loc: ['body', 'x'], msg, type }] });
  });

  it('reports list items by index', () => {
    expect(coerce('str_list', ['a', {}, 'c'], ['body', 'styles'])).toEqual({ ok: false, detail: [{ loc: ['body', 'styles', 1], msg: 'str type expected', type: 'type_error.str' }] });
  });
});

describe('FastAPI request validation (422 detail)', () => {
  const fields: Record<string, FieldSpec> = { steps: { kind: 'int', default: 50, ge: 1, le: 150 }, width: { kind: 'int', default: 512, multipleOf: 8 } };

  it('reports a body that is not an object at ["body"]', () => {
    expect(validateModel([1], fields)).toEqual({ ok: false, detail: [{ loc: ['body'], msg: 'value is not a valid dict', type: 'type_error.dict' }] });
  });

  it('reports every bad field in model order, with constrained-number errors and their ctx', () => {
    expect(validateModel({ width: 65, steps: 0 }, fields)).toEqual({
      ok: false,
      detail: [
        { loc: ['body', 'steps'], msg: 'ensure this value is greater than or equal to 1', type: 'value_error.number.not_ge', ctx: { limit_value: 1 } },
        { loc: ['body', 'width'], msg: 'ensure this value is a multiple of 8', type: 'value_error.number.not_multiple', ctx: { multiple_of: 8 } },
      ],
    });
    expect(validateModel({ steps: 151 }, fields)).toMatchObject({ ok: false, detail: [{ msg: 'ensure this value is less than or equal to 150', type: 'value_error.number.not_le' }] });
  });

  it('fills defaults for missing and null fields and ignores unknown keys', () => {
    expect(validateModel({ steps: null, extra: 1 }, fields)).toEqual({ ok: true, value: { steps: 50, width: 512 } });
  });

  it('reports a missing body and malformed JSON like FastAPI', () => {
    expect(bodyError(new SyntaxError('Unexpected end of JSON input'))).toEqual([{ loc: ['body'], msg: 'field required', type: 'value_error.missing' }]);
    expect(bodyError(new SyntaxError('Unexpected token b in JSON at position 1'))).toEqual([{ loc: ['body', 1], msg: 'Expecting value: line 1 column 2 (char 1)', type: 'value_error.jsondecode' }]);
  });
});

describe('txt2img request model', () => {
  it('echoes every field of the model with A1111 defaults', () => {
    const parsed = parseTxt2ImgRequest({ prompt: 'a cat' });
    if (!parsed.ok) throw new Error('expected a valid request');
    expect(Object.keys(parsed.value.parameters)).toEqual(Object.keys(TXT2IMG_FIELDS));
    expect(parsed.value.parameters).toMatchObject({ prompt: 'a cat', seed: -1, steps: 50, width: 512, cfg_scale: 7, sampler_index: 'Euler', send_images: true, save_images: false });
    expect(parsed.value).toMatchObject({ samplerName: 'Euler', nIter: 1, overrideSettings: {}, forceTaskId: null });
  });

  it('applies the sim’s bounds (A1111’s UI limits)', () => {
    const parsed = parseTxt2ImgRequest({ steps: 200, width: 4096, height: 60, batch_size: 9, n_iter: 0, cfg_scale: 31, seed: -2 });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.detail.map((d) => [d.loc[1], d.type])).toEqual([
      ['seed', 'value_error.number.not_ge'],
      ['batch_size', 'value_error.number.not_le'],
      ['n_iter', 'value_error.number.not_ge'],
      ['steps', 'value_error.number.not_le'],
      ['cfg_scale', 'value_error.number.not_le'],
      ['width', 'value_error.number.not_le'],
      ['height', 'value_error.number.not_ge'],
    ]);
  });
});
