import type { Condition, ConditionStatus } from '../api/gatewayinstallation.ts';

export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/**
 * The conditions after an update, in the standard way: lastTransitionTime moves only when
 * the status changes; every condition carries the generation it was computed for, unless
 * the API's conditions have no such field (Knative's; `generation` undefined).
 */
export function updateConditions(
  current: ReadonlyArray<{ type: string; status: string; lastTransitionTime?: string }> | undefined,
  updates: ConditionUpdate[],
  generation: number | undefined,
  now: Date,
): Condition[] {
  return updates.map((update) => {
    const previous = current?.find((condition) => condition.type === update.type);
    const lastTransitionTime = previous?.lastTransitionTime && previous.status === update.status ? previous.lastTransitionTime : now.toISOString().replace(/\.\d+Z$/, 'Z');
    return { ...update, ...(generation === undefined ? {} : { observedGeneration: generation }), lastTransitionTime };
  });
}
