// The GatewayInstallation API (crds/gatewayinstallations.portico.dev.yaml) as TypeScript types.
// The apiserver applies the schema's defaults, so a stored object has every defaulted field;
// the types say so by making those fields required.
import type { KubernetesObject, V1Toleration } from '@kubernetes/client-node';

export const group = 'portico.dev';
export const version = 'v1alpha1';
export const apiVersion = `${group}/${version}`;
export const kind = 'GatewayInstallation';
export const plural = 'gatewayinstallations';

export interface SecretReference {
  namespace: string;
  name: string;
}

export type IntOrString = number | string;

export interface EnvoySpec {
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  replicas: number;
  resources: { requests?: Record<string, IntOrString>; limits?: Record<string, IntOrString> };
  logLevel: 'trace' | 'debug' | 'info' | 'warning' | 'error' | 'critical' | 'off';
  drainSeconds: number;
  terminationGracePeriodSeconds?: number;
  cryptoMB: boolean;
  nodeSelector?: Record<string, string>;
  tolerations?: V1Toleration[];
  // Affinity and topology spread pass through to the Pod spec as the user wrote them.
  affinity?: Record<string, unknown>;
  topologySpreadConstraints?: Array<Record<string, unknown>>;
  podLabels?: Record<string, string>;
  podAnnotations?: Record<string, string>;
  priorityClassName?: string;
  podDisruptionBudget?: { enabled: boolean; minAvailable?: IntOrString; maxUnavailable?: IntOrString };
  autoscaling?: { enabled: boolean; minReplicas: number; maxReplicas: number; targetCPUUtilizationPercentage: number };
}

export interface ListenerPorts {
  externalHTTP: number;
  internalHTTP: number;
  externalHTTPS: number;
  internalHTTPS: number;
  probeHTTP: number;
  probeHTTPS: number;
  metrics: number;
}

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

export interface ServicePatch {
  match?: { name?: string; labels?: Record<string, string> };
  patchStrategicMerge?: Record<string, unknown>;
  patchesJson6902?: JsonPatchOperation[];
}

export interface GatewayInstallationSpec {
  namespace: string;
  envoy: EnvoySpec;
  listeners: { addresses: string[]; ports: ListenerPorts };
  knative: { ingressClass: string; honorHTTPOption: boolean };
  /** Kubernetes Ingresses: the IngressClass the operator keeps for the installation, if any. */
  ingress: { className?: string; defaultClass: boolean };
  /** The Gateway API: the GatewayClass the operator keeps for the installation, if any. */
  gatewayAPI: { className?: string };
  tls: {
    secretRef?: SecretReference;
    cipherSuites?: string[];
    minimumVersion: '1.2' | '1.3';
    maximumVersion: '1.2' | '1.3';
    upstreamCASecretRef?: SecretReference;
  };
  externalAuthorization?: {
    host: string;
    protocol: 'grpc' | 'http' | 'https';
    failureModeAllow: boolean;
    maxRequestBytes: number;
    timeout: string;
    pathPrefix?: string;
    packAsBytes: boolean;
    allowedHeaders?: string[];
  };
  proxyProtocol: { enabled: boolean };
  service: {
    name: string;
    type: 'LoadBalancer' | 'NodePort' | 'ClusterIP';
    externalTrafficPolicy?: 'Cluster' | 'Local';
    loadBalancerClass?: string;
    loadBalancerSourceRanges?: string[];
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    patches?: ServicePatch[];
  };
  internalService: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  accessLog: { enabled: boolean; format?: string };
  timeouts: { idle: string; streamIdle: string };
  network: { trustedHops: number; useRemoteAddress: boolean; disableServerHeader: boolean };
  tracing?: { endpoint: string; protocol: 'grpc' | 'zipkin'; samplingRate: number; serviceName: string };
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface GatewayInstallationStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  envoy?: {
    image?: string;
    version?: string;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    ready?: string;
  };
  addresses?: Array<{ type: 'IPAddress' | 'Hostname'; value: string }>;
  xds?: { version?: string; proxies: number; synced: number; lastError?: string };
}

export interface GatewayInstallation extends KubernetesObject {
  spec: GatewayInstallationSpec;
  status?: GatewayInstallationStatus;
}
