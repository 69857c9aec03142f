// The test bed's address plan. Every address a test may send a packet to is on loopback or in
// 198.18.0.0/15 (RFC 2544's range for network tests), and each kind of address has its own,
// non-overlapping part of that range. A blackhole route for the whole range makes an address
// nobody holds fail at once instead of leaving the machine.

export interface AddressRange {
  readonly cidr: string;
  readonly what: string;
}

/** The whole test range. */
export const testRange: AddressRange = { cidr: '198.18.0.0/15', what: 'every test-bed address' };
/** Test hosts (network namespaces a test makes for its own servers), one /30 each. */
export const testHostRange: AddressRange = { cidr: '198.18.0.0/17', what: 'test hosts' };
/** Pod IPs: each kwok node's spec.podCIDR is one /22 of this. */
export const podRange: AddressRange = { cidr: '198.18.128.0/18', what: 'pod IPs' };
/** Service cluster IPs (the apiserver's and controller-manager's --service-cluster-ip-range). */
export const serviceRange: AddressRange = { cidr: '198.18.192.0/20', what: 'Service cluster IPs' };
/** Addresses the test-bed load balancer hands to Services of type LoadBalancer. */
export const loadBalancerRange: AddressRange = { cidr: '198.18.208.0/20', what: 'load-balancer addresses' };
/** The machine's own address towards pods: their gateway, and where servers on the machine (the operator's xDS) are reached from a pod. */
export const hostAddress = '198.18.240.1';

export const addressPlan: readonly AddressRange[] = [testHostRange, podRange, serviceRange, loadBalancerRange, { cidr: `${hostAddress}/32`, what: 'the machine, as pods reach it' }];

/** spec.podCIDR of the n-th kwok node. */
export function nodePodCidr(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= 16) throw new RangeError(`node index ${index}: the pod range holds 16 nodes`);
  return `198.18.${128 + index * 4}.0/22`;
}

export function ipv4ToNumber(address: string): number {
  const parts = address.split('.');
  if (parts.length !== 4) throw new Error(`"${address}" is not an IPv4 address`);
  let value = 0;
  for (const part of parts) {
    const octet = Number(part);
    if (!/^\d{1,3}$/.test(part) || octet > 255) throw new Error(`"${address}" is not an IPv4 address`);
    value = value * 256 + octet;
  }
  return value;
}

export function numberToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** The first address and the size of a CIDR block. */
export function parseCidr(cidr: string): { base: number; size: number } {
  const [address, bits] = cidr.split('/');
  const prefix = Number(bits);
  if (address === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`"${cidr}" is not an IPv4 CIDR block`);
  const size = 2 ** (32 - prefix);
  const base = ipv4ToNumber(address);
  return { base: base - (base % size), size };
}

export function inCidr(address: string, cidr: string): boolean {
  const { base, size } = parseCidr(cidr);
  const value = ipv4ToNumber(address);
  return value >= base && value < base + size;
}

/** True if a packet to `address` stays on this machine: loopback or the test range. */
export function isTestAddress(address: string): boolean {
  return inCidr(address, '127.0.0.0/8') || inCidr(address, testRange.cidr);
}
