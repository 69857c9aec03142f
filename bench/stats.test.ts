import { expect } from 'chai';
import { percentile, summarize } from './stats.ts';

describe('benchmark statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(samples, 50)).to.equal(50);
    expect(percentile(samples, 90)).to.equal(90);
    expect(percentile(samples, 99)).to.equal(99);
    expect(percentile([7], 99)).to.equal(7);
    expect(percentile([], 50)).to.be.NaN;
  });

  it('summarizes unsorted samples', () => {
    expect(summarize([30, 10, 20])).to.deep.equal({ count: 3, p50: 20, p90: 30, p99: 30, max: 30 });
  });
});
