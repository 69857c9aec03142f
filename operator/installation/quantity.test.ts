import { expect } from 'chai';
import { parseQuantity } from './quantity.ts';

describe('parseQuantity', () => {
  it('reads binary, decimal and exponent suffixes', () => {
    expect(parseQuantity('800Mi')).to.equal(800 * 2 ** 20);
    expect(parseQuantity('1Gi')).to.equal(2 ** 30);
    expect(parseQuantity('1G')).to.equal(1e9);
    expect(parseQuantity('500m')).to.equal(0.5);
    expect(parseQuantity('1.5')).to.equal(1.5);
    expect(parseQuantity('2e3')).to.equal(2000);
    expect(parseQuantity(3)).to.equal(3);
  });

  it('refuses what is not a quantity', () => {
    expect(() => parseQuantity('lots')).to.throw('"lots" is not a Kubernetes quantity');
    expect(() => parseQuantity('1mi')).to.throw(/not a Kubernetes quantity/);
  });
});
