import type { JobEventRecord } from '@gantry/domain';
import { JobCursor } from './job-cursor';

const JOB = '01a20153-556b-7000-93cf-d0697e9d81d1';

function record(seq: number): JobEventRecord {
  return { jobId: JOB, seq, at: new Date(0).toISOString(), event: { type: 'progress', node: '3', value: seq, max: 100, overall: 0 } };
}

function setup(stored: number, lastSeq: number) {
  const db = Array.from({ length: stored }, (_, i) => record(i + 1));
  const sent: number[] = [];
  const loads: number[] = [];
  const cursor = new JobCursor(
    JOB,
    lastSeq,
    async (_id, since) => {
      loads.push(since);
      return db.filter((r) => r.seq > since).slice(0, 3);
    },
    (data) => sent.push(JSON.parse(data.toString()).seq),
  );
  const live = (seq: number) => cursor.live({ seq, frame: Buffer.from(JSON.stringify({ seq })), terminal: false });
  return { db, sent, loads, cursor, live };
}

describe('JobCursor', () => {
  it('sends in-order live events straight through and drops duplicates', () => {
    const { sent, live } = setup(0, 0);
    live(1);
    live(2);
    live(2);
    live(1);
    live(3);
    expect(sent).toEqual([1, 2, 3]);
  });

  it('resumes from the database in pages, then continues live without gap or duplicate', async () => {
    const { sent, cursor, live, db } = setup(7, 2);
    const catchUp = cursor.catchUp();
    db.push(record(8));
    live(8); // arrives while catching up: buffered
    live(7); // already in the database: sent once
    await catchUp;
    live(9);
    expect(sent).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });

  it('fills a gap left by a lost live message from the database', async () => {
    const { sent, live, db, cursor } = setup(3, 0);
    live(1);
    db.push(record(4), record(5));
    live(5); // 2..4 never arrived live
    await new Promise((r) => setImmediate(r));
    await cursor.catchUp();
    expect(sent).toEqual([1, 2, 3, 4, 5]);
  });

  it('reports a buffer overflow so the caller can drop the client', () => {
    const cursor = new JobCursor(JOB, 0, () => new Promise(() => undefined), () => undefined, { maxBuffered: 2 });
    void cursor.catchUp();
    expect(cursor.live({ seq: 1, frame: Buffer.alloc(0), terminal: false })).toBe(true);
    expect(cursor.live({ seq: 2, frame: Buffer.alloc(0), terminal: false })).toBe(true);
    expect(cursor.live({ seq: 3, frame: Buffer.alloc(0), terminal: false })).toBe(false);
  });

  it('resumes a client that has every stored event without a read: the events held meanwhile go out in order', async () => {
    const { sent, loads, cursor, live } = setup(3, 0);
    cursor.hold();
    live(5);
    live(4);
    live(3); // stored already: the client has it
    await cursor.resumeFrom(3, 3);
    expect(loads).toEqual([]);
    expect(sent).toEqual([4, 5]);
    live(6);
    expect(sent).toEqual([4, 5, 6]);
  });

  it('still reads a gap among the events held while the client had every stored one', async () => {
    const { sent, loads, cursor, live, db } = setup(3, 0);
    cursor.hold();
    db.push(record(4), record(5));
    live(5); // 4 was stored but its message was lost
    await cursor.resumeFrom(3, 3);
    await new Promise((r) => setImmediate(r));
    await cursor.catchUp();
    expect(loads[0]).toBe(3);
    expect(sent).toEqual([4, 5]);
  });

  it('reads what a client behind the stored events misses, as always', async () => {
    const { sent, loads, cursor } = setup(3, 0);
    cursor.hold();
    await cursor.resumeFrom(1, 3);
    expect(loads).toEqual([1, 3]);
    expect(sent).toEqual([2, 3]);
  });
});
