import { joinedFrames, textFrame } from './ws-frame';

/** Decodes an unmasked single-frame text message (RFC 6455 §5.2), as a client reads it. */
function decode(frame: Buffer): { fin: boolean; opcode: number; masked: boolean; text: string } {
  let length = frame[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    length = frame.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    length = Number(frame.readBigUInt64BE(2));
    offset = 10;
  }
  expect(frame.length).toBe(offset + length);
  return { fin: (frame[0]! & 0x80) !== 0, opcode: frame[0]! & 0x0f, masked: (frame[1]! & 0x80) !== 0, text: frame.subarray(offset).toString('utf8') };
}

describe('textFrame', () => {
  it.each([0, 1, 125, 126, 1000, 65_535, 65_536, 200_000])('frames %i bytes with the shortest length field', (size) => {
    const text = 'x'.repeat(size);
    const frame = textFrame(text);
    expect(decode(frame)).toEqual({ fin: true, opcode: 1, masked: false, text });
    expect(frame.length - size).toBe(size < 126 ? 2 : size < 65_536 ? 4 : 10);
  });

  it('counts bytes, not characters', () => {
    const text = JSON.stringify({ type: 'event', note: 'Größe ✓ 🎨' });
    expect(decode(textFrame(text)).text).toBe(text);
  });
});

describe('joinedFrames', () => {
  it('joins a list once, and returns the frame itself for a list of one', () => {
    const list = [{ frame: textFrame('a') }, { frame: textFrame('bc') }];
    const joined = joinedFrames(list);
    expect(joined.equals(Buffer.concat([list[0]!.frame, list[1]!.frame]))).toBe(true);
    expect(joinedFrames(list)).toBe(joined);
    expect(joinedFrames([...list])).not.toBe(joined); // another list: its own buffer
    expect(joinedFrames([list[0]!])).toBe(list[0]!.frame);
  });
});
