// What became of an object in its installation's graph, decided in one place (graph/merge.ts)
// for the status writers of every source.

export type Outcome =
  | { status: 'served' }
  /** Its translator refused it whole: the message names the field and what is allowed. */
  | { status: 'refused'; reason: string; message: string }
  /** It claimed something an older object holds: the field that claims it and the winner. */
  | { status: 'conflicting'; reason: 'DomainConflict' | 'PathConflict' | 'PortConflict'; message: string; field: string; winner: string };

export const served: Outcome = { status: 'served' };

export function sameOutcome(a: Outcome | undefined, b: Outcome | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.status !== b.status) return false;
  if (a.status === 'served' || b.status === 'served') return true;
  if (a.reason !== b.reason || a.message !== b.message) return false;
  return a.status !== 'conflicting' || b.status !== 'conflicting' || (a.field === b.field && a.winner === b.winner);
}
