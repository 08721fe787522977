import { splitJobError, stripHostPaths } from './error-redaction';

describe('job error redaction', () => {
  it('cuts absolute host paths down to their last segment', () => {
    expect(stripHostPaths('File "/opt/ComfyUI/nodes.py", line 3')).toBe('File "nodes.py", line 3');
    expect(stripHostPaths('missing C:\\models\\checkpoints\\sd.safetensors now')).toBe('missing sd.safetensors now');
    expect(stripHostPaths('ratio 1/2 and a/b stay')).toBe('ratio 1/2 and a/b stay');
    expect(stripHostPaths('see /srv/out/')).toBe('see <path>');
  });

  it('keeps code, node and exception for the tenant and holds the traceback back', () => {
    const error = {
      code: 'EXECUTION_ERROR' as const,
      message: 'RuntimeError in KSampler (node 3): cannot open /home/gpu/ComfyUI/models/x.bin',
      details: { nodeId: '3', nodeType: 'KSampler', exceptionType: 'RuntimeError', exceptionMessage: 'cannot open /home/gpu/ComfyUI/models/x.bin', traceback: ['  File "/home/gpu/ComfyUI/execution.py"'] },
    };
    const { tenant, internal } = splitJobError(error);
    expect(tenant).toEqual({
      code: 'EXECUTION_ERROR',
      message: 'RuntimeError in KSampler (node 3): cannot open x.bin',
      details: { nodeId: '3', nodeType: 'KSampler', exceptionType: 'RuntimeError', exceptionMessage: 'cannot open x.bin' },
    });
    expect(internal).toEqual(error.details);
  });

  it('holds nothing back when there is nothing to hide', () => {
    const error = { code: 'CANCELED' as const, message: 'Canceled by request' };
    expect(splitJobError(error)).toEqual({ tenant: error, internal: null });
  });

  it('makes text PostgreSQL cannot store storable, wherever the backend put it', () => {
    const { tenant, internal } = splitJobError({ code: 'EXECUTION_ERROR', message: 'bad \u0000 byte', details: { traceback: ['x\ud800'], nodeId: '1' } });
    expect(tenant.message).toBe('bad \uFFFD byte');
    expect(internal).toEqual({ traceback: ['x\uFFFD'], nodeId: '1' });
  });
});
