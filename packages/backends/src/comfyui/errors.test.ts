import { silentStructuredLogger } from '../logger.js';
import { executionFailure, promptRejected } from './errors.js';
import { readHistoryEntry } from './history.js';
import { filesFromOutputs } from './output-files.js';

describe('executionFailure', () => {
  const base = { prompt_id: 'p', node_id: '3', node_type: 'KSampler', traceback: ['  File "x"\n'] };

  it.each([
    ['torch.OutOfMemoryError', 'Allocation on device'],
    ['torch.cuda.OutOfMemoryError', 'CUDA out of memory. Tried to allocate 2.00 GiB'],
    ['RuntimeError', 'HIP out of memory'],
  ])('maps %s to a retryable OUT_OF_MEMORY', (exceptionType, exceptionMessage) => {
    const error = executionFailure({ ...base, exception_type: exceptionType, exception_message: `${exceptionMessage}\nThis error means you ran out of memory on your GPU.` });
    expect(error).toMatchObject({ code: 'OUT_OF_MEMORY', retryable: true, details: { nodeId: '3', nodeType: 'KSampler', exceptionType } });
    expect(error.message).not.toContain('\n');
  });

  it('maps other exceptions to a non-retryable EXECUTION_ERROR', () => {
    const error = executionFailure({ ...base, exception_type: 'ValueError', exception_message: 'bad shape' });
    expect(error).toMatchObject({ code: 'EXECUTION_ERROR', retryable: false, message: 'ValueError in KSampler (node 3): bad shape' });
    expect(error.details).toMatchObject({ traceback: ['  File "x"\n'] });
  });
});

describe('promptRejected', () => {
  it('maps value_not_in_list on loader inputs to a retryable MODEL_UNAVAILABLE naming the models', () => {
    const notInList = (input: string, value: string) => ({ type: 'value_not_in_list', message: 'Value not in list', details: `${input}: '${value}' not in [...]`, extra_info: { input_name: input, input_config: null, received_value: value } });
    const body = {
      error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '', extra_info: {} },
      node_errors: {
        '4': { errors: [notInList('ckpt_name', 'sdxl.safetensors')], dependent_outputs: ['9'], class_type: 'CheckpointLoaderSimple' },
        '10': { errors: [notInList('lora_name', 'detail.safetensors')], dependent_outputs: ['9'], class_type: 'LoraLoader' },
      },
    };
    const error = promptRejected(body);
    expect(error).toMatchObject({ code: 'MODEL_UNAVAILABLE', retryable: true, details: { models: [{ kind: 'checkpoint', name: 'sdxl.safetensors' }, { kind: 'lora', name: 'detail.safetensors' }] } });
    expect(error.message).toBe('The backend does not hold checkpoint: sdxl.safetensors, lora: detail.safetensors');
    // Anything else wrong as well, or a combo that is not a model file: the workflow is at fault.
    const mixed = { ...body, node_errors: { ...body.node_errors, '3': { errors: [{ type: 'value_smaller_than_min', message: 'x', details: 'steps', extra_info: {} }], class_type: 'KSampler' } } };
    expect(promptRejected(mixed).code).toBe('WORKFLOW_INVALID');
    expect(promptRejected({ ...body, node_errors: { '3': { errors: [notInList('sampler_name', 'nope')], class_type: 'KSampler' } } }).code).toBe('WORKFLOW_INVALID');
  });


  it('keeps error and node_errors and summarises them, never retryable', () => {
    const body = {
      error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '', extra_info: {} },
      node_errors: { '3': { errors: [{ type: 'value_smaller_than_min', message: 'Value 0 smaller than min of 1', details: 'steps', extra_info: {} }], dependent_outputs: ['9'], class_type: 'KSampler' } },
    };
    const error = promptRejected(body);
    expect(error).toMatchObject({ code: 'WORKFLOW_INVALID', retryable: false, details: { error: body.error, node_errors: body.node_errors } });
    expect(error.message).toBe('Prompt outputs failed validation; KSampler 3: Value 0 smaller than min of 1 (steps)');
  });

  it('copes with a body that is not ComfyUI’s shape', () => {
    expect(promptRejected('oops')).toMatchObject({ code: 'WORKFLOW_INVALID', details: { error: {}, node_errors: {} } });
  });
});

describe('readHistoryEntry', () => {
  const image = { filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' };

  it('reads success with every output file, deduplicated', () => {
    const entry = { outputs: { '9': { images: [image, image] }, '10': { gifs: [{ filename: 'a.gif', subfolder: 'anim', type: 'temp' }], text: ['hi'] } }, status: { status_str: 'success', completed: true, messages: [] } };
    expect(readHistoryEntry(entry, silentStructuredLogger)).toEqual({
      kind: 'success',
      files: [{ nodeId: '9', ...image }, { nodeId: '10', filename: 'a.gif', subfolder: 'anim', type: 'temp' }],
    });
  });

  it('tells an error from an interrupt by the last message', () => {
    const error = { status: { status_str: 'error', completed: false, messages: [['execution_start', {}], ['execution_error', { exception_type: 'X' }]] } };
    const interrupted = { status: { status_str: 'error', completed: false, messages: [['execution_start', {}], ['execution_interrupted', { node_id: '3' }]] } };
    expect(readHistoryEntry(error, silentStructuredLogger)).toEqual({ kind: 'error', data: { exception_type: 'X' } });
    expect(readHistoryEntry(interrupted, silentStructuredLogger)).toEqual({ kind: 'interrupted', data: { node_id: '3' } });
  });

  it('treats entries without status (old servers) as success', () => {
    expect(readHistoryEntry({ outputs: { '9': { images: [image] } } }, silentStructuredLogger)).toMatchObject({ kind: 'success', files: [{ filename: image.filename }] });
  });
});

describe('filesFromOutputs', () => {
  it.each([
    ['a path in filename', { filename: '../../etc/passwd', subfolder: '', type: 'output' }],
    ['a slash in filename', { filename: 'a/b.png', subfolder: '', type: 'output' }],
    ['an escaping subfolder', { filename: 'a.png', subfolder: 'x/../../y', type: 'output' }],
    ['an absolute subfolder', { filename: 'a.png', subfolder: '/etc', type: 'output' }],
    ['an unknown folder type', { filename: 'a.png', subfolder: '', type: 'models' }],
  ])('drops untrusted references: %s', (_name, item) => {
    expect(filesFromOutputs({ '9': { images: [item] } }, silentStructuredLogger)).toEqual([]);
  });
});
