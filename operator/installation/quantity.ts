/**
 * Kubernetes resource quantities (e.g. "800Mi", "1G", "0.5") as numbers: enough of the
 * format to size Envoy's heap ceiling from its memory limit.
 */
const binary: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const decimal: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

export function parseQuantity(quantity: number | string): number {
  if (typeof quantity === 'number') return quantity;
  const match = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([KMGTPE]i)|([numkMGTPE]?)|[eE]([+-]?\d+))$/.exec(quantity.trim());
  if (!match) throw new Error(`"${quantity}" is not a Kubernetes quantity`);
  const [, number, binarySuffix, decimalSuffix, exponent] = match;
  const value = Number(number);
  if (binarySuffix) return value * binary[binarySuffix]!;
  if (exponent !== undefined) return value * 10 ** Number(exponent);
  return value * decimal[decimalSuffix ?? '']!;
}
