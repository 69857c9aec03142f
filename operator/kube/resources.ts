/** API paths of the kinds the operator reads and writes. */
interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

const resources: Record<string, ResourceInfo> = {
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true },
  'v1/Secret': { plural: 'secrets', namespaced: true },
  'v1/Service': { plural: 'services', namespaced: true },
  'discovery.k8s.io/v1/EndpointSlice': { plural: 'endpointslices', namespaced: true },
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true },
  'policy/v1/PodDisruptionBudget': { plural: 'poddisruptionbudgets', namespaced: true },
  'autoscaling/v2/HorizontalPodAutoscaler': { plural: 'horizontalpodautoscalers', namespaced: true },
  'coordination.k8s.io/v1/Lease': { plural: 'leases', namespaced: true },
  'portico.dev/v1alpha1/GatewayInstallation': { plural: 'gatewayinstallations', namespaced: false },
  'networking.internal.knative.dev/v1alpha1/Ingress': { plural: 'ingresses', namespaced: true },
  'networking.k8s.io/v1/Ingress': { plural: 'ingresses', namespaced: true },
  'networking.k8s.io/v1/IngressClass': { plural: 'ingressclasses', namespaced: false },
  'events.k8s.io/v1/Event': { plural: 'events', namespaced: true },
  'gateway.networking.k8s.io/v1/GatewayClass': { plural: 'gatewayclasses', namespaced: false },
  'gateway.networking.k8s.io/v1/Gateway': { plural: 'gateways', namespaced: true },
  'gateway.networking.k8s.io/v1/HTTPRoute': { plural: 'httproutes', namespaced: true },
  'gateway.networking.k8s.io/v1/GRPCRoute': { plural: 'grpcroutes', namespaced: true },
  'gateway.networking.k8s.io/v1/TLSRoute': { plural: 'tlsroutes', namespaced: true },
  'gateway.networking.k8s.io/v1/TCPRoute': { plural: 'tcproutes', namespaced: true },
  'gateway.networking.k8s.io/v1/BackendTLSPolicy': { plural: 'backendtlspolicies', namespaced: true },
  'gateway.networking.k8s.io/v1/ListenerSet': { plural: 'listenersets', namespaced: true },
  'gateway.networking.k8s.io/v1beta1/ReferenceGrant': { plural: 'referencegrants', namespaced: true },
};

/** Makes the paths of more kinds known (the test bed's controllers write pods, events and kwok's objects). */
export function registerResource(apiVersion: string, kind: string, info: ResourceInfo): void {
  resources[`${apiVersion}/${kind}`] = info;
}

export interface ObjectReference {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export function resourceInfo(apiVersion: string, kind: string): ResourceInfo {
  const info = resources[`${apiVersion}/${kind}`];
  if (!info) throw new Error(`no API path known for ${apiVersion} ${kind}`);
  return info;
}

/** The URL path of one object, e.g. /apis/apps/v1/namespaces/ns/deployments/name. */
export function objectPath(reference: ObjectReference): string {
  const { plural, namespaced } = resourceInfo(reference.apiVersion, reference.kind);
  const root = reference.apiVersion.includes('/') ? `/apis/${reference.apiVersion}` : `/api/${reference.apiVersion}`;
  if (namespaced && !reference.namespace) throw new Error(`${reference.kind} ${reference.name} needs a namespace`);
  const namespace = namespaced ? `/namespaces/${encodeURIComponent(reference.namespace!)}` : '';
  return `${root}${namespace}/${plural}/${encodeURIComponent(reference.name)}`;
}
