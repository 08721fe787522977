import { emptySnapshot, onProbeFailure, onProbeSuccess } from './breaker';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec';

function toHash(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < pairs.length; i += 2) out[pairs[i]!] = pairs[i + 1]!;
  return out;
}

describe('snapshot codec', () => {
  it('round-trips every field, nulls included', () => {
    const s = { ...onProbeSuccess(emptySnapshot(), 1234), version: '0.3.64', vramTotalMb: 24576, vramFreeMb: 20000, deviceName: 'cuda:0 X', nodeTypeCount: 12, nodeTypesAt: 1234, infoHash: 'abc' };
    expect(decodeSnapshot(toHash(encodeSnapshot(s)))).toEqual(s);
    const f = onProbeFailure(emptySnapshot(), 5, 'refused', { failureThreshold: 1, cooldownMs: 10 });
    expect(decodeSnapshot(toHash(encodeSnapshot(f)))).toEqual(f);
  });

  it('reads nothing from an empty hash or one with only the drain flag', () => {
    expect(decodeSnapshot({})).toBeNull();
    expect(decodeSnapshot({ draining: '1' })).toBeNull();
  });

  it('survives garbage', () => {
    const s = decodeSnapshot({ phase: 'open', probeFailures: 'x', openUntil: 'never', up: '?' })!;
    expect(s).toMatchObject({ phase: 'open', probeFailures: 0, openUntil: 0, up: null });
  });
});
