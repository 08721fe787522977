// The simulator's sample workflow, through the package's own export (bundled at build time).
import sample from '@gantry/gpu-sim/default-workflow.json';
import { ApiError } from '../api.js';
import { byId, h, setText } from '../dom.js';
import { shortId } from '../format.js';
import type { Job, SubmitBody } from '../types.js';

/** A workflow the bundled simulator (apps/gpu-sim) runs: the README's example. */
const SAMPLE_WORKFLOW = JSON.stringify(sample, null, 2);

/** The submit form: workflow JSON (the sample prefilled) and priority. */
export class SubmitForm {
  private readonly form = byId<HTMLFormElement>('submit-form');
  private readonly workflow = byId<HTMLTextAreaElement>('workflow');
  private readonly priority = byId<HTMLInputElement>('priority');
  private readonly button = byId<HTMLButtonElement>('submit-button');
  private readonly inputFile = byId<HTMLInputElement>('input-file');
  private readonly inputName = byId<HTMLInputElement>('input-name');

  constructor(
    private readonly submit: (body: SubmitBody) => Promise<Job>,
    private readonly upload: (file: Blob) => Promise<{ id: string }>,
  ) {
    this.workflow.value = SAMPLE_WORKFLOW;
    byId('sample-button').addEventListener('click', () => {
      this.workflow.value = SAMPLE_WORKFLOW;
      this.workflow.focus();
    });
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.send();
    });
  }

  private async send(): Promise<void> {
    const error = byId('submit-error');
    error.replaceChildren();
    this.workflow.removeAttribute('aria-invalid');
    let workflow: unknown;
    try {
      workflow = JSON.parse(this.workflow.value);
    } catch (err) {
      return this.invalid(`The workflow is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof workflow !== 'object' || workflow === null || Array.isArray(workflow)) {
      return this.invalid('The workflow must be a JSON object (node id → {class_type, inputs}).');
    }
    const priority = Number(this.priority.value || 0);
    if (!Number.isInteger(priority) || priority < -100 || priority > 100) {
      this.priority.setAttribute('aria-invalid', 'true');
      error.textContent = 'Priority must be a whole number from -100 to 100.';
      this.priority.focus();
      return;
    }
    this.priority.removeAttribute('aria-invalid');
    this.button.disabled = true;
    setText(byId('submit-status'), 'Submitting…');
    try {
      // An input image is uploaded first, then bound by name (docs/api.md "Input images").
      const file = this.inputFile.files?.[0];
      const name = this.inputName.value.trim() || 'image';
      const inputs = file ? { [name]: { upload: (await this.upload(file)).id } } : undefined;
      const job = await this.submit({ workflow: workflow as SubmitBody['workflow'], priority, ...(inputs ? { inputs } : {}) });
      const status = byId('submit-status');
      status.replaceChildren('Submitted job ', h('a', { href: `#/jobs/${job.id}`, 'data-job-id': job.id }, h('code', { text: shortId(job.id) })), '.');
    } catch (err) {
      setText(byId('submit-status'), '');
      this.showError(err);
    } finally {
      this.button.disabled = false;
    }
  }

  private invalid(message: string): void {
    this.workflow.setAttribute('aria-invalid', 'true');
    byId('submit-error').textContent = message;
    this.workflow.focus();
  }

  private showError(err: unknown): void {
    const box = byId('submit-error');
    if (!(err instanceof ApiError)) {
      box.textContent = `Not submitted: ${(err as Error).message}`;
      return;
    }
    // VALIDATION_FAILED lists {path, message}; NO_ELIGIBLE_BACKEND gives {reasons: [...]}.
    const items = Array.isArray(err.errors)
      ? (err.errors as { path?: string; message?: string }[]).map((e) => `${e.path ? `${e.path}: ` : ''}${e.message ?? ''}`)
      : Array.isArray((err.errors as { reasons?: unknown } | undefined)?.reasons)
        ? ((err.errors as { reasons: unknown[] }).reasons.map(String))
        : [];
    const list = items.length ? h('ul', {}, ...items.slice(0, 20).map((text) => h('li', { text }))) : null;
    box.replaceChildren(`Not submitted (${err.status} ${err.code}): ${err.message}`, ...(list ? [list] : []));
  }
}
