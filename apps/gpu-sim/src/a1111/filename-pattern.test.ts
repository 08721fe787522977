import { applyPattern, sanitizeFilenamePart, type NameContext } from './filename-pattern.js';

const context: NameContext = {
  seed: 42, prompt: 'a cat: on a "mat", at dusk.', width: 64, height: 48, steps: 20, cfgScale: 7, sampler: 'Euler a',
  modelName: 'sd15', jobTimestamp: '20260101120000', now: new Date(2026, 0, 2, 3, 4, 5), maxPromptWords: 3,
};

describe('A1111 filename patterns (FilenameGenerator.apply)', () => {
  it('keeps literal text, replaces known names and leaves unknown ones as written', () => {
    expect(applyPattern('gantry-0f3a-[seed]', context)).toBe('gantry-0f3a-42');
    expect(applyPattern('[none]', context)).toBe('');
    expect(applyPattern('[date]/[width]x[height]', context)).toBe('2026-01-02/64x48');
    expect(applyPattern('[datetime<%Y>]_[SEED]', context)).toBe('20260102030405_42');
    expect(applyPattern('x[clip_skip]y[nope<arg>]', context)).toBe('x[clip_skip]y[nope]');
    expect(applyPattern('', context)).toBe('');
  });

  it('sanitizes prompt parts as A1111 does', () => {
    expect(applyPattern('[prompt_words]', context)).toBe('a cat on');
    expect(applyPattern('[prompt]', context)).toBe('a_cat__on_a__mat_,_at_dusk');
    expect(sanitizeFilenamePart('  lead and trail . ', false)).toBe('lead and trail');
  });
});
