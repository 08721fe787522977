import { silentStructuredLogger } from '../logger.js';
import type { ComfyMessage } from './messages.js';
import { NodeUiMemory, SocketOutputs } from './socket-outputs.js';

const CLASSES: Record<string, string> = { '4': 'CheckpointLoaderSimple', '3': 'KSampler', '9': 'SaveImage', '12': 'ShowSomething' };
const image = (filename: string) => ({ images: [{ filename, subfolder: '', type: 'output' }] });
const msg = (type: string, data: Record<string, unknown> = {}): ComfyMessage => ({ type, data: { prompt_id: 'p', ...data } });

/** A watched run: start, cached, then each node's executing (and executed when it has a UI), then success. */
function run(memory: NodeUiMemory, o: { cached?: string[]; ran: [string, unknown?][]; resent?: [string, unknown][]; success?: boolean; drop?: boolean }): SocketOutputs {
  const outputs = new SocketOutputs((node) => CLASSES[node], memory);
  outputs.observe(msg('execution_start'));
  outputs.observe(msg('execution_cached', { nodes: o.cached ?? [] }));
  for (const [node, output] of o.resent ?? []) outputs.observe(msg('executed', { node, output }));
  for (const [node, ui] of o.ran) {
    outputs.observe(msg('executing', { node }));
    if (o.drop) outputs.dropped();
    if (ui) outputs.observe(msg('executed', { node, output: ui }));
  }
  if (o.success ?? true) outputs.observe(msg('execution_success'));
  return outputs;
}

describe('SocketOutputs', () => {
  it('names the executed files of a run it watched whole', () => {
    const files = run(new NodeUiMemory(), { ran: [['4'], ['3'], ['9', image('a.png')]] }).files(silentStructuredLogger);
    expect(files).toEqual([{ nodeId: '9', filename: 'a.png', subfolder: '', type: 'output' }]);
  });

  it('answers null without execution_success (servers before 2024-07), after a drop, or before execution_start', () => {
    expect(run(new NodeUiMemory(), { ran: [['9', image('a.png')]], success: false }).files(silentStructuredLogger)).toBeNull();
    expect(run(new NodeUiMemory(), { ran: [['9', image('a.png')]], drop: true }).files(silentStructuredLogger)).toBeNull();
    const unseenStart = new SocketOutputs((node) => CLASSES[node], new NodeUiMemory());
    unseenStart.observe(msg('executed', { node: '9', output: image('a.png') }));
    unseenStart.observe(msg('execution_success'));
    expect(unseenStart.files(silentStructuredLogger)).toBeNull();
  });

  it('takes a cached node as UI-free only when its class ran without a UI on this backend and never with one', () => {
    const memory = new NodeUiMemory();
    // Cached loader, class unseen: only /history can tell.
    expect(run(memory, { cached: ['4'], ran: [['3'], ['9', image('a.png')]] }).files(silentStructuredLogger)).toBeNull();
    // The loader ran without a UI; `ShowSomething` ran with one.
    run(memory, { ran: [['4'], ['12', { text: ['hi'] }], ['3'], ['9', image('b.png')]] }).files(silentStructuredLogger);
    expect(run(memory, { cached: ['4'], ran: [['3'], ['9', image('c.png')]] }).files(silentStructuredLogger)).toEqual([{ nodeId: '9', filename: 'c.png', subfolder: '', type: 'output' }]);
    expect(run(memory, { cached: ['4', '12'], ran: [['3'], ['9', image('d.png')]] }).files(silentStructuredLogger)).toBeNull();
    // A cached output node re-sends its UI: it needs no knowledge. A node id not in the workflow does.
    expect(run(memory, { cached: ['4', '9'], resent: [['9', image('c.png')]], ran: [['3']] }).files(silentStructuredLogger)).toEqual([{ nodeId: '9', filename: 'c.png', subfolder: '', type: 'output' }]);
    expect(run(memory, { cached: ['4', '5.0.1'], ran: [['3'], ['9', image('e.png')]] }).files(silentStructuredLogger)).toBeNull();
  });

  it('answers null when a node sent executed twice (a loop: the socket names one iteration, /history all)', () => {
    const outputs = run(new NodeUiMemory(), { ran: [['4'], ['3'], ['9', image('a.png')]] , success: false });
    outputs.observe(msg('executed', { node: '9', output: image('b.png') }));
    outputs.observe(msg('execution_success'));
    expect(outputs.files(silentStructuredLogger)).toBeNull();
  });

  it('learns the cached nodes’ UI from a /history entry read after all', () => {
    const memory = new NodeUiMemory();
    const first = run(memory, { cached: ['4', '12'], ran: [['3'], ['9', image('a.png')]] });
    expect(first.files(silentStructuredLogger)).toBeNull();
    first.learnFromHistory({ outputs: { '9': image('a.png'), '12': { text: ['hi'] } } });
    expect(run(memory, { cached: ['4'], ran: [['3'], ['9', image('b.png')]] }).files(silentStructuredLogger)).toHaveLength(1);
    expect(run(memory, { cached: ['4', '12'], ran: [['3'], ['9', image('c.png')]] }).files(silentStructuredLogger)).toBeNull();
  });
});
