import { expect } from 'chai';
import { PerKeyBackoff } from './backoff.ts';

describe('PerKeyBackoff', () => {
  it('doubles the delay per failure up to the ceiling', () => {
    const backoff = new PerKeyBackoff<string>({ baseMs: 100, maxMs: 1000 });
    const delays = Array.from({ length: 6 }, () => backoff.next('a'));
    expect(delays).to.deep.equal([100, 200, 400, 800, 1000, 1000]);
  });

  it('keeps keys apart and starts over after forget', () => {
    const backoff = new PerKeyBackoff<string>({ baseMs: 10, maxMs: 1000 });
    backoff.next('a');
    backoff.next('a');
    expect(backoff.next('b')).to.equal(10);
    backoff.forget('a');
    expect(backoff.failuresOf('a')).to.equal(0);
    expect(backoff.next('a')).to.equal(10);
  });
});
