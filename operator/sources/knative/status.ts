// A KIngress's status, driven by the data plane (pure): NetworkConfigured once it is
// translated, LoadBalancerReady once every connected Envoy of its installation has accepted a
// config that holds this version of it, Ready when both are. The load balancers are the
// installation's Services, as Kourier names them.
import { shortTypeName } from '../../../xds/protos.ts';
import { updateConditions, type ConditionUpdate } from '../../installation/conditions.ts';
import type { ObjectState } from '../../graph/graphs.ts';
import type { IngressStatus, KnativeCondition, KnativeIngress } from './types.ts';

export interface ProxyView {
  nodeId: string;
  /** The proxy's accepted config holds this KIngress at its current hash. */
  holds: boolean;
  lastNack?: { typeUrl: string; version: string; message: string };
}

export interface IngressObserved {
  state: ObjectState;
  proxies: ProxyView[];
  /** Cluster DNS names of the installation's external and internal Services. */
  loadBalancers: { public: string; private: string };
}

function loadBalancerReady(observed: IngressObserved): ConditionUpdate {
  const { state, proxies } = observed;
  if (state.outcome.status === 'conflicting') return { type: 'LoadBalancerReady', status: 'False', reason: state.outcome.reason, message: state.outcome.message };
  if (state.outcome.status === 'refused') {
    return { type: 'LoadBalancerReady', status: 'Unknown', reason: 'NotConfigured', message: 'The KIngress is not served until NetworkConfigured is True.' };
  }
  if (proxies.length === 0) {
    return { type: 'LoadBalancerReady', status: 'Unknown', reason: 'NoProxiesConnected', message: 'No Envoy of the gateway is connected to the operator.' };
  }
  const holding = proxies.filter((proxy) => proxy.holds).length;
  const progress = `${holding}/${proxies.length} proxies serve this version of the KIngress.`;
  if (holding === proxies.length) return { type: 'LoadBalancerReady', status: 'True', reason: 'ProxiesSynced', message: progress };
  const rejecting = proxies.find((proxy) => !proxy.holds && proxy.lastNack);
  if (rejecting?.lastNack) {
    const { typeUrl, version, message } = rejecting.lastNack;
    return { type: 'LoadBalancerReady', status: 'False', reason: 'ConfigRejected', message: `${progress} Envoy ${rejecting.nodeId} rejected ${shortTypeName(typeUrl)} version ${version}: ${message}` };
  }
  return { type: 'LoadBalancerReady', status: 'Unknown', reason: 'ProxiesSyncing', message: progress };
}

function networkConfigured(state: ObjectState): ConditionUpdate {
  // A KIngress that lost a host to an older one is translated; its load balancer is what is not ready.
  if (state.outcome.status !== 'refused') {
    return { type: 'NetworkConfigured', status: 'True', reason: 'Translated', message: 'The KIngress is translated into the gateway\'s routes.' };
  }
  return { type: 'NetworkConfigured', status: 'False', reason: state.outcome.reason, message: state.outcome.message };
}

export function ingressStatus(ingress: KnativeIngress, observed: IngressObserved, now: Date): IngressStatus {
  const configured = networkConfigured(observed.state);
  const balanced = loadBalancerReady(observed);
  const notReady = [configured, balanced].find((condition) => condition.status !== 'True');
  const ready: ConditionUpdate = notReady
    ? { type: 'Ready', status: notReady.status, reason: notReady.reason, message: notReady.message }
    : { type: 'Ready', status: 'True', reason: 'Ready', message: balanced.message };
  // Knative keeps conditions sorted by type, and its conditions have no observedGeneration.
  const conditions: KnativeCondition[] = updateConditions(ingress.status?.conditions, [balanced, configured, ready], undefined, now);
  return {
    observedGeneration: ingress.metadata?.generation ?? 0,
    conditions,
    publicLoadBalancer: { ingress: [{ domainInternal: observed.loadBalancers.public }] },
    privateLoadBalancer: { ingress: [{ domainInternal: observed.loadBalancers.private }] },
  };
}
