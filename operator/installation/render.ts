// GatewayInstallation → the objects it owns, from the handlebars templates in templates/.
// Pure: the same installation and settings always give the same objects.
import type { KubernetesObject, V1Namespace } from '@kubernetes/client-node';
import type Handlebars from 'handlebars';
import { compileTemplate } from './templating.ts';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { GatewayInstallation } from '../api/gatewayinstallation.ts';
import { parseQuantity } from './quantity.ts';

export interface RenderSettings {
  /** Where the gateway's Envoys reach the operator's xDS server, and which variant of ADS they speak (default delta). */
  xds: {
    host: string;
    port: number;
    protocol?: 'delta' | 'sotw';
    /** Mutual TLS to the xDS server: the directory holding the client's tls.crt, tls.key and ca.crt. */
    tlsDirectory?: string;
  };
  /** Port of Envoy's admin interface on 127.0.0.1 (default 9901; 0 lets tests run several Envoys). */
  adminPort?: number;
}

/** An installation's client credentials for mutual TLS to the xDS server (PEM). */
export interface XdsClientCredentials {
  cert: string;
  key: string;
  ca: string;
}

export interface RenderedInstallation {
  /** The gateway namespace, as the operator creates it when it is missing. */
  namespace: V1Namespace;
  /** Every object the installation owns, in the order they are applied: namespaced ones, then its IngressClass (cluster-scoped). */
  objects: KubernetesObject[];
}

function template(path: string): Handlebars.TemplateDelegate {
  return compileTemplate(readFileSync(new URL(`../../templates/${path}`, import.meta.url), 'utf8'));
}

const templates = {
  namespace: template('installation/namespace.yaml.hbs'),
  serviceAccount: template('installation/serviceaccount.yaml.hbs'),
  bootstrapConfigMap: template('installation/bootstrap-configmap.yaml.hbs'),
  deployment: template('installation/deployment.yaml.hbs'),
  services: template('installation/services.yaml.hbs'),
  podDisruptionBudget: template('installation/poddisruptionbudget.yaml.hbs'),
  horizontalPodAutoscaler: template('installation/horizontalpodautoscaler.yaml.hbs'),
  bootstrap: template('envoy-bootstrap.yaml.hbs'),
  xdsClientSecret: template('installation/xds-client-secret.yaml.hbs'),
  ingressClass: template('installation/ingressclass.yaml.hbs'),
  gatewayClass: template('installation/gatewayclass.yaml.hbs'),
  gatewayService: template('gateway/service.yaml.hbs'),
};

export const defaultAdminPort = 9901;
export const installationLabel = 'portico.dev/installation';
export const managedByLabels = { 'app.kubernetes.io/managed-by': 'portico' };
/** Heap ceiling when the Envoy container has no memory limit. */
const defaultHeapBytes = 1024 * 2 ** 20;
const maxDownstreamConnections = 50_000;

/** The names of what an installation owns in its namespace. */
export function ownedNames(installation: GatewayInstallation) {
  const name = installation.metadata?.name ?? '';
  return {
    deployment: `${name}-gateway`,
    serviceAccount: `${name}-gateway`,
    bootstrapConfigMap: `${name}-bootstrap`,
    xdsClientSecret: `${name}-xds-client`,
    externalService: installation.spec.service.name,
    internalService: installation.spec.internalService.name,
  };
}

const secretType = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

/** The file-based SDS resources (JSON, which YAML reads) through which Envoy loads its xDS client credentials. */
export function xdsClientSds(directory: string): { certificate: string; validation: string } {
  return {
    certificate: JSON.stringify({
      resources: [{ '@type': secretType, name: 'xds_client_certificate', tls_certificate: { certificate_chain: { filename: `${directory}/tls.crt` }, private_key: { filename: `${directory}/tls.key` } } }],
    }),
    validation: JSON.stringify({ resources: [{ '@type': secretType, name: 'xds_authority', validation_context: { trusted_ca: { filename: `${directory}/ca.crt` } } }] }),
  };
}

/** Who a fleet of Envoys is and where it lives: an installation's own, or a Gateway's. */
export interface FleetTarget {
  /** The xDS node cluster: the key its graph and snapshots go by (an installation's name, or gateway/<ns>/<name>). */
  xdsKey: string;
  /** app.kubernetes.io/instance of its objects. */
  instance: string;
  namespace: string;
  names: { deployment: string; serviceAccount: string; bootstrapConfigMap: string; xdsClientSecret: string };
  /** Labels that select the fleet's pods (and mark its objects as its own). */
  selector: Record<string, string>;
  /** Labels and annotations the fleet's objects carry besides Portico's (a Gateway's spec.infrastructure). */
  extraLabels?: Record<string, string>;
  extraAnnotations?: Record<string, string>;
  /** The ports Envoy listens on for traffic, besides the metrics port. */
  trafficPorts: Array<{ name: string; containerPort: number }>;
  /** Where the stats listener binds. */
  statsAddress: string;
}

/** What every fleet renders the same way: its ServiceAccount, bootstrap, Deployment, PDB, HPA and xDS client Secret. */
interface FleetRendering {
  values: Record<string, unknown>;
  objects: KubernetesObject[];
  labels: Record<string, string>;
}

function renderFleet(installation: GatewayInstallation, target: FleetTarget, settings: RenderSettings, xdsClient?: XdsClientCredentials): FleetRendering {
  const { envoy, listeners } = installation.spec;
  const labels = {
    ...target.extraLabels,
    'app.kubernetes.io/name': 'portico-gateway',
    'app.kubernetes.io/instance': target.instance,
    ...managedByLabels,
    ...target.selector,
  };
  const memoryLimit = envoy.resources.limits?.memory;
  const adminPort = settings.adminPort ?? defaultAdminPort;
  const bootstrap = templates.bootstrap({
    installation: { name: target.xdsKey },
    adminPort,
    statsAddress: target.statsAddress,
    ports: listeners.ports,
    xds: {
      host: settings.xds.host,
      port: settings.xds.port,
      apiType: settings.xds.protocol === 'sotw' ? 'GRPC' : 'DELTA_GRPC',
      tls:
        settings.xds.tlsDirectory && xdsClient
          ? {
              directory: settings.xds.tlsDirectory,
              certificateSds: `${settings.xds.tlsDirectory}/certificate-sds.yaml`,
              validationSds: `${settings.xds.tlsDirectory}/validation-sds.yaml`,
            }
          : null,
    },
    overload: {
      // Envoy sheds load at 95% of this ceiling, before the kubelet's OOM kill at the limit.
      maxHeapBytes: Math.floor(memoryLimit === undefined ? defaultHeapBytes : parseQuantity(memoryLimit) * 0.9),
      maxConnections: maxDownstreamConnections,
    },
  });
  const ports = listeners.ports;
  const values = {
    installation: { name: installation.metadata?.name ?? '' },
    namespace: target.namespace,
    names: target.names,
    labels,
    annotations: target.extraAnnotations ?? null,
    selector: target.selector,
    ports,
    bootstrap,
    // Handlebars runs in strict mode (a typo in a template fails loudly), so every optional
    // value a template tests is present, as null when unset.
    envoy: {
      image: envoy.image,
      imagePullPolicy: envoy.imagePullPolicy,
      replicas: envoy.replicas,
      resources: envoy.resources,
      terminationGracePeriodSeconds: envoy.terminationGracePeriodSeconds ?? envoy.drainSeconds + 15,
      priorityClassName: envoy.priorityClassName ?? null,
      nodeSelector: envoy.nodeSelector ?? null,
      tolerations: envoy.tolerations ?? null,
      affinity: envoy.affinity ?? null,
      topologySpreadConstraints: envoy.topologySpreadConstraints ?? null,
    },
    autoscaling: envoy.autoscaling?.enabled ? envoy.autoscaling : null,
    podLabels: { ...envoy.podLabels, ...labels },
    podAnnotations: {
      ...envoy.podAnnotations,
      ...target.extraAnnotations,
      // A new bootstrap rolls the pods: Envoy reads it only at start. (A renewed client
      // certificate does not: Envoy reloads it through file-based SDS.)
      'portico.dev/bootstrap-hash': createHash('sha256').update(bootstrap).digest('hex').slice(0, 16),
    },
    xdsClient:
      xdsClient && settings.xds.tlsDirectory
        ? {
            directory: settings.xds.tlsDirectory,
            cert: Buffer.from(xdsClient.cert).toString('base64'),
            key: Buffer.from(xdsClient.key).toString('base64'),
            ca: Buffer.from(xdsClient.ca).toString('base64'),
            certificateSds: Buffer.from(xdsClientSds(settings.xds.tlsDirectory).certificate).toString('base64'),
            validationSds: Buffer.from(xdsClientSds(settings.xds.tlsDirectory).validation).toString('base64'),
          }
        : null,
    envoyArgs: [
      '-c', '/etc/envoy/envoy-bootstrap.yaml',
      '--log-level', envoy.logLevel,
      '--drain-time-s', String(envoy.drainSeconds),
      '--drain-strategy', 'immediate',
      '--service-node', '$(POD_NAME)',
      '--service-cluster', target.xdsKey,
      // Pods are replaced by rolling updates, never hot-restarted: no shared memory needed.
      '--disable-hot-restart',
    ],
    preStopCommand: [
      '/bin/bash',
      '-c',
      `exec 3<>/dev/tcp/127.0.0.1/${adminPort} && printf 'POST /drain_listeners?graceful&inboundonly HTTP/1.1\\r\\nHost: localhost\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n' >&3; sleep ${envoy.drainSeconds}`,
    ],
    containerPorts: [
      ...target.trafficPorts.map((port) => ({ ...port, protocol: 'TCP' })),
      { name: 'metrics', containerPort: ports.metrics, protocol: 'TCP' },
    ],
    pdb: {
      minAvailable: envoy.podDisruptionBudget?.minAvailable ?? '80%',
      maxUnavailable: envoy.podDisruptionBudget?.maxUnavailable ?? null,
    },
  };
  const objects = [
    ...(values.xdsClient ? renderTemplate(templates.xdsClientSecret, values) : []),
    ...renderTemplate(templates.serviceAccount, values),
    ...renderTemplate(templates.bootstrapConfigMap, values),
    ...renderTemplate(templates.deployment, values),
    ...(envoy.podDisruptionBudget?.enabled ? renderTemplate(templates.podDisruptionBudget, values) : []),
    ...(envoy.autoscaling?.enabled ? renderTemplate(templates.horizontalPodAutoscaler, values) : []),
  ];
  return { values, objects, labels };
}

function renderTemplate(delegate: Handlebars.TemplateDelegate, values: Record<string, unknown>): KubernetesObject[] {
  return parseAllDocuments(delegate(values)).map((document) => document.toJS() as KubernetesObject);
}

/**
 * The objects of an installation. With `xdsClient` (and settings.xds.tlsDirectory), Envoy
 * talks mutual TLS to the xDS server with those credentials, from a Secret mounted there.
 */
export function renderInstallation(installation: GatewayInstallation, settings: RenderSettings, xdsClient?: XdsClientCredentials): RenderedInstallation {
  const name = installation.metadata?.name ?? '';
  const { spec } = installation;
  const ports = spec.listeners.ports;
  const names = ownedNames(installation);
  const fleet = renderFleet(installation, {
    xdsKey: name,
    instance: name,
    namespace: spec.namespace,
    names,
    selector: { [installationLabel]: name, 'app.kubernetes.io/component': 'gateway' },
    trafficPorts: [
      { name: 'http', containerPort: ports.externalHTTP },
      { name: 'http-internal', containerPort: ports.internalHTTP },
      { name: 'https', containerPort: ports.externalHTTPS },
      { name: 'https-internal', containerPort: ports.internalHTTPS },
      { name: 'probe-http', containerPort: ports.probeHTTP },
      { name: 'probe-https', containerPort: ports.probeHTTPS },
    ],
    statsAddress: spec.listeners.addresses[0] ?? '0.0.0.0',
  }, settings, xdsClient);
  // Knative and Kourier users find the gateway's Services by this label.
  const serviceLabels = { ...fleet.labels, 'networking.knative.dev/ingress-provider': 'kourier' };
  const values = {
    ...fleet.values,
    namespaceLabels: { ...managedByLabels, [installationLabel]: name },
    service: {
      name: spec.service.name,
      type: spec.service.type,
      externalTrafficPolicy: spec.service.externalTrafficPolicy ?? null,
      loadBalancerClass: spec.service.loadBalancerClass ?? null,
      loadBalancerSourceRanges: spec.service.loadBalancerSourceRanges ?? null,
      annotations: spec.service.annotations ?? null,
      labels: { ...spec.service.labels, ...serviceLabels },
    },
    internalService: {
      name: spec.internalService.name,
      annotations: spec.internalService.annotations ?? null,
      labels: { ...spec.internalService.labels, ...serviceLabels },
    },
    ingressClass: spec.ingress.className ? { name: spec.ingress.className, default: spec.ingress.defaultClass } : null,
    gatewayClass: spec.gatewayAPI.className ? { name: spec.gatewayAPI.className } : null,
  };
  const objects = [
    ...fleet.objects.filter((object) => object.kind !== 'PodDisruptionBudget' && object.kind !== 'HorizontalPodAutoscaler'),
    ...renderTemplate(templates.services, values),
    ...fleet.objects.filter((object) => object.kind === 'PodDisruptionBudget' || object.kind === 'HorizontalPodAutoscaler'),
    ...(spec.ingress.className ? renderTemplate(templates.ingressClass, values) : []),
    ...(spec.gatewayAPI.className ? renderTemplate(templates.gatewayClass, values) : []),
  ];
  return { namespace: parseYaml(templates.namespace(values)) as V1Namespace, objects };
}

/** A Gateway's fleet as the fleet renderer needs it: who it is, its Service's ports, its infrastructure labels. */
export interface GatewayFleet {
  xdsKey: string;
  namespace: string;
  gatewayName: string;
  /** Prefix of its objects' names (a DNS label). */
  name: string;
  /** Gateway port → Envoy's port, each with the name the Service gives it. */
  ports: Array<{ name: string; port: number; targetPort: number }>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Requested addresses (spec.addresses of type IPAddress), for the load balancer. */
  loadBalancerIP?: string;
}

export const gatewayLabel = 'portico.dev/gateway';

/** The objects of a Gateway's fleet, in its namespace, from the installation's settings: what an installation renders, but one Service with the Gateway's ports. */
export function renderGatewayFleet(installation: GatewayInstallation, gateway: GatewayFleet, settings: RenderSettings, xdsClient?: XdsClientCredentials): KubernetesObject[] {
  const { spec } = installation;
  const fleet = renderFleet(installation, {
    xdsKey: gateway.xdsKey,
    instance: gateway.gatewayName,
    namespace: gateway.namespace,
    names: { deployment: gateway.name, serviceAccount: gateway.name, bootstrapConfigMap: `${gateway.name}-bootstrap`, xdsClientSecret: `${gateway.name}-xds-client` },
    selector: { [gatewayLabel]: gateway.name, 'app.kubernetes.io/component': 'gateway' },
    // The Gateway API's label for what a Gateway generates (GatewayNameLabelKey), which tools select
    // by; a name longer than a label value may be goes without it.
    extraLabels: { ...gateway.labels, ...(gateway.gatewayName.length <= 63 ? { 'gateway.networking.k8s.io/gateway-name': gateway.gatewayName } : {}) },
    extraAnnotations: gateway.annotations,
    trafficPorts: gateway.ports.map(({ targetPort }) => ({ name: `port-${targetPort}`, containerPort: targetPort })),
    statsAddress: '0.0.0.0',
  }, settings, xdsClient);
  const values = {
    ...fleet.values,
    service: {
      name: gateway.name,
      type: spec.service.type,
      externalTrafficPolicy: spec.service.externalTrafficPolicy ?? null,
      loadBalancerClass: spec.service.loadBalancerClass ?? null,
      loadBalancerSourceRanges: spec.service.loadBalancerSourceRanges ?? null,
      loadBalancerIP: gateway.loadBalancerIP ?? null,
      annotations: { ...spec.service.annotations, ...gateway.annotations },
      labels: { ...spec.service.labels, ...fleet.labels },
      ports: gateway.ports,
    },
  };
  return [...fleet.objects, ...renderTemplate(templates.gatewayService, values)];
}
