import { expect } from 'chai';
import type { V1Service } from '@kubernetes/client-node';
import { AddressPool, proxyProtocolVersion, readyEndpoints, servedHere, sourceAllowed } from './load-balancer.ts';
import { inCidr, isTestAddress, nodePodCidr } from './addresses.ts';

const service = (spec: V1Service['spec'], annotations: Record<string, string> = {}): V1Service => ({ metadata: { name: 'web', namespace: 'shop', annotations }, spec });

describe('the test bed\'s load balancer and address plan', () => {
  it('serves LoadBalancer Services without a class or with its own, as the default cloud controller would', () => {
    expect(servedHere(service({ type: 'LoadBalancer' }))).to.equal(true);
    expect(servedHere(service({ type: 'LoadBalancer', loadBalancerClass: 'portico.dev/testbed' }))).to.equal(true);
    expect(servedHere(service({ type: 'LoadBalancer', loadBalancerClass: 'service.k8s.aws/nlb' }))).to.equal(false);
    expect(servedHere(service({ type: 'ClusterIP' }))).to.equal(false);
  });

  it('reads the PROXY protocol version from the clouds\' annotations', () => {
    expect(proxyProtocolVersion(service({}, { 'service.beta.kubernetes.io/scw-loadbalancer-proxy-protocol-v2': '*' }), 80)).to.equal(2);
    expect(proxyProtocolVersion(service({}, { 'service.beta.kubernetes.io/scw-loadbalancer-proxy-protocol-v1': '443' }), 80)).to.equal(undefined);
    expect(proxyProtocolVersion(service({}, { 'service.beta.kubernetes.io/scw-loadbalancer-proxy-protocol-v1': '443' }), 443)).to.equal(1);
    expect(proxyProtocolVersion(service({}, { 'service.beta.kubernetes.io/aws-load-balancer-proxy-protocol': '*' }), 80)).to.equal(1);
    expect(proxyProtocolVersion(service({}, { 'service.beta.kubernetes.io/aws-load-balancer-proxy-protocol': '*', 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' }), 80)).to.equal(2);
    expect(proxyProtocolVersion(service({}, { 'service.beta.kubernetes.io/do-loadbalancer-enable-proxy-protocol': 'true' }), 80)).to.equal(1);
    expect(proxyProtocolVersion(service({}), 80)).to.equal(undefined);
  });

  it('enforces loadBalancerSourceRanges, allowing all when there are none', () => {
    expect(sourceAllowed(service({}), '198.18.0.2')).to.equal(true);
    const ranged = service({ loadBalancerSourceRanges: ['198.18.0.0/30', ' 198.19.0.0/16'] });
    expect(sourceAllowed(ranged, '198.18.0.2')).to.equal(true);
    expect(sourceAllowed(ranged, '::ffff:198.18.0.3')).to.equal(true);
    expect(sourceAllowed(ranged, '198.18.0.4')).to.equal(false);
  });

  it('forwards a port to the ready endpoints of its slices only', () => {
    const slices = [
      { metadata: { labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 'IPv4', ports: [{ name: 'http', port: 8080 }], endpoints: [{ addresses: ['198.18.128.2'], conditions: { ready: true } }, { addresses: ['198.18.128.3'], conditions: { ready: false } }] },
      { metadata: { labels: { 'kubernetes.io/service-name': 'other' } }, addressType: 'IPv4', ports: [{ name: 'http', port: 8080 }], endpoints: [{ addresses: ['198.18.128.9'] }] },
    ];
    expect(readyEndpoints(service({}), 'http', slices)).to.deep.equal([{ address: '198.18.128.2', port: 8080 }]);
    expect(readyEndpoints(service({}), 'https', slices)).to.deep.equal([]);
  });

  it('hands out the address asked for when it is free and in range, keeps a Service\'s address, and says why otherwise', () => {
    const pool = new AddressPool();
    expect(pool.assign('a', undefined, undefined)).to.deep.equal({ address: '198.18.208.1' });
    expect(pool.assign('a', undefined, undefined)).to.deep.equal({ address: '198.18.208.1' });
    expect(pool.assign('b', '198.18.215.7', undefined)).to.deep.equal({ address: '198.18.215.7' });
    expect(pool.assign('c', '198.18.215.7', undefined)).to.deep.equal({ error: 'spec.loadBalancerIP 198.18.215.7 is already held by Service b' });
    expect(pool.assign('d', '203.0.113.9', undefined)).to.have.property('error').that.includes('outside the test bed\'s load-balancer range 198.18.208.0/20');
    expect(pool.assign('e', undefined, '198.18.209.4')).to.deep.equal({ address: '198.18.209.4' });
    expect(pool.release('a')).to.equal('198.18.208.1');
    expect(pool.assign('f', undefined, undefined)).to.deep.equal({ address: '198.18.208.1' });
  });

  it('keeps every range in 198.18.0.0/15 and gives each node its own pod CIDR', () => {
    expect(nodePodCidr(0)).to.equal('198.18.128.0/22');
    expect(nodePodCidr(1)).to.equal('198.18.132.0/22');
    expect(inCidr('198.18.131.255', nodePodCidr(0))).to.equal(true);
    expect(inCidr('198.18.132.0', nodePodCidr(0))).to.equal(false);
    expect(isTestAddress('127.0.0.1')).to.equal(true);
    expect(isTestAddress('198.19.255.255')).to.equal(true);
    expect(isTestAddress('198.20.0.1')).to.equal(false);
    expect(() => nodePodCidr(16)).to.throw(RangeError);
  });
});
