import { expect } from 'chai';
import { durationSeconds } from './duration.ts';

describe('durationSeconds', () => {
  it('adds up the parts of a Go-style duration', () => {
    expect(durationSeconds('0s')).to.equal(0);
    expect(durationSeconds('1h')).to.equal(3600);
    expect(durationSeconds('1h30m')).to.equal(5400);
    expect(durationSeconds('2.5s')).to.equal(2.5);
    expect(durationSeconds('500ms')).to.equal(0.5);
    expect(durationSeconds('1m0.1s')).to.equal(60.1);
  });

  it('refuses what is not a duration, saying what is', () => {
    expect(() => durationSeconds('5')).to.throw('"5" is not a duration like 30s, 5m or 1h30m');
    expect(() => durationSeconds('-1s')).to.throw(/not a duration/);
  });
});
