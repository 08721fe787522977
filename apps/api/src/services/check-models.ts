import { AppError, formatModelRef, type ModelRef } from '@gantry/domain';
import { missingModels, type EligibilityBackend, type JobNeed } from '@gantry/fleet';

/**
 * Refuses a job naming a model that no registered backend of its kind holds: `422
 * MODEL_UNAVAILABLE`, naming each such model (`details.models`). A backend whose inventory of that
 * kind is not known yet counts as holding it (it never refuses on a guess). Tags, VRAM and node
 * types are judged after, by the whole eligibility rule.
 */
export function checkModels(need: JobNeed, backends: readonly EligibilityBackend[]): void {
  const ofKind = backends.filter((b) => !need.kind || !b.kind || b.kind === need.kind);
  const unheld: ModelRef[] = (need.models ?? []).filter((ref) => ofKind.every((b) => missingModels([ref], b.info).length === 1));
  if (unheld.length === 0) return;
  throw new AppError('MODEL_UNAVAILABLE', `No registered backend holds ${unheld.map(formatModelRef).join(', ')}`, { details: { models: unheld } });
}
