import type { Condition, ConditionStatus } from '../api/gatewayinstallation.ts';

export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/**
 * The conditions after an update, in the standard way: lastTransitionTime moves only when
 * the status changes; every condition carries the generation it was computed for.
 */
export function updateConditions(current: Condition[] | undefined, updates: ConditionUpdate[], generation: number, now: Date): Condition[] {
  return updates.map((update) => {
    const previous = current?.find((condition) => condition.type === update.type);
    const lastTransitionTime = previous && previous.status === update.status ? previous.lastTransitionTime : now.toISOString().replace(/\.\d+Z$/, 'Z');
    return { ...update, observedGeneration: generation, lastTransitionTime };
  });
}
