import { expect } from 'chai';
import { updateConditions } from './conditions.ts';

describe('updateConditions', () => {
  const earlier = new Date('2026-01-01T00:00:00Z');
  const later = new Date('2026-01-01T00:05:00.123Z');

  it('stamps new conditions with the time and generation', () => {
    const [ready] = updateConditions(undefined, [{ type: 'Ready', status: 'False', reason: 'Waiting', message: 'm' }], 3, earlier);
    expect(ready).to.deep.equal({ type: 'Ready', status: 'False', reason: 'Waiting', message: 'm', observedGeneration: 3, lastTransitionTime: '2026-01-01T00:00:00Z' });
  });

  it('keeps the transition time while the status stays, and moves it when it changes', () => {
    const first = updateConditions(undefined, [{ type: 'Ready', status: 'False', reason: 'Waiting', message: 'a' }], 1, earlier);
    const same = updateConditions(first, [{ type: 'Ready', status: 'False', reason: 'StillWaiting', message: 'b' }], 2, later);
    expect(same[0]).to.include({ lastTransitionTime: '2026-01-01T00:00:00Z', reason: 'StillWaiting', observedGeneration: 2 });
    const flipped = updateConditions(same, [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'c' }], 2, later);
    expect(flipped[0]!.lastTransitionTime).to.equal('2026-01-01T00:05:00Z');
  });
});
