import { expect } from 'chai';
import type { ObjectState } from '../../graph/graphs.ts';
import { originOf } from '../../graph/origin.ts';
import { ingressStatus, type IngressObserved, type ProxyView } from './status.ts';
import type { KnativeIngress } from './types.ts';

const ingress: KnativeIngress = { metadata: { namespace: 'default', name: 'hello', generation: 3 }, spec: {} };
const now = new Date('2026-11-21T12:00:00Z');
const loadBalancers = { public: 'kourier.kourier-system.svc.cluster.local', private: 'kourier-internal.kourier-system.svc.cluster.local' };
const served: ObjectState = { installation: 'kourier', origin: originOf('knative', 'KIngress', ingress), generation: 3, version: 'h', outcome: { status: 'served' }, notes: [] };

function conditions(state: ObjectState, proxies: ProxyView[]) {
  const observed: IngressObserved = { state, proxies, loadBalancers };
  return Object.fromEntries((ingressStatus(ingress, observed, now).conditions ?? []).map((condition) => [condition.type, condition]));
}

describe('ingressStatus', () => {
  it('is Ready once every connected Envoy holds this version of the KIngress', () => {
    const status = ingressStatus(ingress, { state: served, proxies: [{ nodeId: 'a', holds: true }, { nodeId: 'b', holds: true }], loadBalancers }, now);
    expect(status.observedGeneration).to.equal(3);
    expect(status.conditions?.map((condition) => `${condition.type}=${condition.status}`)).to.deep.equal(['LoadBalancerReady=True', 'NetworkConfigured=True', 'Ready=True']);
    expect(status.conditions?.[0]?.message).to.equal('2/2 proxies serve this version of the KIngress.');
    expect(status.publicLoadBalancer).to.deep.equal({ ingress: [{ domainInternal: loadBalancers.public }] });
    expect(status.privateLoadBalancer).to.deep.equal({ ingress: [{ domainInternal: loadBalancers.private }] });
    // Knative's conditions have no observedGeneration: the schema would prune it.
    expect(status.conditions?.[0]).to.not.have.property('observedGeneration');
  });

  it('waits while some Envoy lacks it, and says so', () => {
    const byType = conditions(served, [{ nodeId: 'a', holds: true }, { nodeId: 'b', holds: false }]);
    expect(byType.LoadBalancerReady).to.include({ status: 'Unknown', reason: 'ProxiesSyncing', message: '1/2 proxies serve this version of the KIngress.' });
    expect(byType.Ready).to.include({ status: 'Unknown', reason: 'ProxiesSyncing' });
  });

  it('is not ready with no Envoy connected', () => {
    expect(conditions(served, []).LoadBalancerReady).to.include({ status: 'Unknown', reason: 'NoProxiesConnected' });
  });

  it('carries Envoy\'s own words when it rejected the config', () => {
    const nack = { typeUrl: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration', version: 'v2', message: 'duplicate domain' };
    const byType = conditions(served, [{ nodeId: 'gw-0', holds: false, lastNack: nack }]);
    expect(byType.LoadBalancerReady).to.include({ status: 'False', reason: 'ConfigRejected' });
    expect(byType.LoadBalancerReady?.message).to.equal('0/1 proxies serve this version of the KIngress. Envoy gw-0 rejected RouteConfiguration version v2: duplicate domain');
  });

  it('says DomainConflict on LoadBalancerReady, and a refusal on NetworkConfigured', () => {
    const conflict = conditions({ ...served, outcome: { status: 'conflicting', reason: 'DomainConflict', field: 'spec.rules[0]', winner: 'KIngress x/y', message: 'Not served: spec.rules[0]: host "a" is already served by KIngress x/y.' } }, []);
    expect(conflict.NetworkConfigured?.status).to.equal('True');
    expect(conflict.LoadBalancerReady).to.include({ status: 'False', reason: 'DomainConflict' });
    expect(conflict.Ready).to.include({ status: 'False', reason: 'DomainConflict' });
    const refused = conditions({ ...served, outcome: { status: 'refused', reason: 'InvalidHeader', message: 'spec.rules[0]…' } }, []);
    expect(refused.NetworkConfigured).to.include({ status: 'False', reason: 'InvalidHeader' });
    expect(refused.Ready).to.include({ status: 'False', reason: 'InvalidHeader' });
  });

  it('keeps lastTransitionTime while a condition keeps its status', () => {
    const earlier = '2026-11-20T00:00:00Z';
    const previous: KnativeIngress = { ...ingress, status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: earlier }] } };
    const status = ingressStatus(previous, { state: served, proxies: [{ nodeId: 'a', holds: true }], loadBalancers }, now);
    expect(status.conditions?.find((condition) => condition.type === 'Ready')?.lastTransitionTime).to.equal(earlier);
  });
});
