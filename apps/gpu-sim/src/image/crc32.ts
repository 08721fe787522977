/**
 * CRC-32 (ISO-HDLC, polynomial 0xEDB88320), the checksum PNG puts after every chunk.
 * Table-driven; written out here so the encoder has no dependency beyond zlib's deflate.
 */
const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * CRC-32 of `data`. Pass the previous result as `crc` to continue a running checksum over several
 * buffers (PNG checksums the chunk type and the chunk data as one sequence).
 */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i += 1) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
