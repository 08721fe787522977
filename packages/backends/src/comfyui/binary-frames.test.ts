import { parseBinaryFrame } from './binary-frames.js';

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);

describe('parseBinaryFrame', () => {
  it('parses type 1 previews with their image format', () => {
    expect(parseBinaryFrame(Buffer.concat([u32(1), u32(1), jpeg]))).toEqual({ kind: 'preview', mime: 'image/jpeg', data: jpeg, promptId: null, node: null });
    expect(parseBinaryFrame(Buffer.concat([u32(1), u32(2), jpeg]))).toMatchObject({ kind: 'preview', mime: 'image/png' });
  });

  it('parses type 4 previews with their metadata', () => {
    const metadata = Buffer.from(JSON.stringify({ node_id: '3', prompt_id: 'p', display_node_id: '3', parent_node_id: null, real_node_id: '3', image_type: 'image/jpeg' }));
    expect(parseBinaryFrame(Buffer.concat([u32(4), u32(metadata.length), metadata, jpeg]))).toEqual({ kind: 'preview', mime: 'image/jpeg', data: jpeg, promptId: 'p', node: '3' });
  });

  it('parses type 3 text (to be ignored by the driver)', () => {
    const node = Buffer.from('12');
    expect(parseBinaryFrame(Buffer.concat([u32(3), u32(node.length), node, Buffer.from('Result URL: x')]))).toEqual({ kind: 'text', node: '12', text: 'Result URL: x' });
  });

  it('reports unknown types without failing', () => {
    expect(parseBinaryFrame(Buffer.concat([u32(2), jpeg]))).toEqual({ kind: 'unknown', eventType: 2 });
    expect(parseBinaryFrame(Buffer.concat([u32(99)]))).toEqual({ kind: 'unknown', eventType: 99 });
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['short header', Buffer.from([0, 0, 1])],
    ['type 1 without format', u32(1)],
    ['type 1 unknown format', Buffer.concat([u32(1), u32(7), jpeg])],
    ['type 4 length past the end', Buffer.concat([u32(4), u32(1000), Buffer.from('{}')])],
    ['type 4 metadata not JSON', Buffer.concat([u32(4), u32(3), Buffer.from('{{{'), jpeg])],
    ['type 4 metadata not an object', Buffer.concat([u32(4), u32(4), Buffer.from('null'), jpeg])],
    ['type 3 length past the end', Buffer.concat([u32(3), u32(50), Buffer.from('x')])],
  ])('returns null for a malformed frame (%s), never throws', (_name, frame) => {
    expect(parseBinaryFrame(frame)).toBeNull();
  });
});
