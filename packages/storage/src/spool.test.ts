import { once } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { copyMeasured } from './spool';

/** A destination whose every write fails (as a full disk's would), after the caller's turn. */
function failingDestination(): Writable {
  return new Writable({
    write(_chunk, _encoding, done) {
      setImmediate(() => done(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })));
    },
  });
}

describe('copyMeasured', () => {
  it('fails with the write error that came while it waited for the next chunk, instead of waiting for a drain that never comes', async () => {
    const out = failingDestination();
    const failed = once(out, 'error');
    async function* source() {
      yield Buffer.from('first');
      await failed; // the write of the first chunk has failed (and `out` is destroyed) before the second arrives
      yield Buffer.from('second');
      yield Buffer.from('third');
    }
    await expect(copyMeasured(source(), out)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(out.destroyed).toBe(true);
  });

  it('fails with a write error that comes while it waits for a drain', async () => {
    const out = failingDestination();
    const big = Buffer.alloc(64 * 1024, 1); // over the default high-water mark: the first write asks for a drain
    await expect(copyMeasured(Readable.from([big, big]), out)).rejects.toMatchObject({ code: 'ENOSPC' });
  });

  it('counts and hashes string chunks as their UTF-8 bytes, against maxBytes too', async () => {
    const chunks: Buffer[] = [];
    const out = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    });
    async function* text() {
      yield 'é'; // two bytes
      yield 'ab';
    }
    const result = await copyMeasured(text() as AsyncIterable<Uint8Array>, out);
    expect(result.bytes).toBe(4);
    expect(Buffer.concat(chunks).toString('utf8')).toBe('éab');
    await expect(copyMeasured(text() as AsyncIterable<Uint8Array>, new Writable({ write: (_c, _e, done) => done() }), 3)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });
});
