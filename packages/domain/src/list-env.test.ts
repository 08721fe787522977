import { listEnv, splitList } from './list-env';

describe('listEnv', () => {
  it('splits once at validation: trimmed, empty items dropped, unset is empty', () => {
    expect(splitList(' a, b,,c ,')).toEqual(['a', 'b', 'c']);
    expect(listEnv().parse(undefined)).toEqual([]);
    expect(listEnv().parse('node-a, node-b')).toEqual(['node-a', 'node-b']);
  });

  it('checks every item and names the rule', () => {
    const secrets = listEnv({ check: (s) => s.length >= 4, message: 'each needs 4 characters' });
    expect(secrets.parse('abcd,efgh')).toEqual(['abcd', 'efgh']);
    const result = secrets.safeParse('abcd,efg');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('each needs 4 characters');
  });
});
