/**
 * A complete, unmasked WebSocket text frame (RFC 6455 §5.2: FIN + opcode 1, then the payload
 * length in 7, 7+16 or 7+64 bits), built once per message and written as is to every socket that
 * gets it: ws would otherwise encode the string and build a header for each socket.
 */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81;
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(0, 2);
    frame.writeUInt32BE(length, 6);
  }
  frame.write(text, header, 'utf8');
  return frame;
}

const joined = new WeakMap<readonly { frame: Buffer }[], Buffer>();

/**
 * The frames of a list back to back in one buffer, made once per list: the hub hands the same
 * list to every socket that gets all of it (a tenant's `all` sockets, a job's followers), so a
 * round costs each of them one write of a shared buffer, not one write request per frame.
 */
export function joinedFrames(entries: readonly { frame: Buffer }[]): Buffer {
  if (entries.length === 1) return entries[0]!.frame;
  let buffer = joined.get(entries);
  if (!buffer) {
    buffer = Buffer.concat(entries.map((e) => e.frame));
    joined.set(entries, buffer);
  }
  return buffer;
}
