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

/**
 * The objects of an installation. With `xdsClient` (and settings.xds.tlsDirectory), Envoy
 * talks mutual TLS to the xDS server with those credentials, from a Secret mounted there.
 */
export function renderInstallation(installation: GatewayInstallation, settings: RenderSettings, xdsClient?: XdsClientCredentials): RenderedInstallation {
  const name = installation.metadata?.name ?? '';
  const { spec } = installation;
  const { envoy, listeners } = spec;
  const names = ownedNames(installation);
  const selector = { [installationLabel]: name, 'app.kubernetes.io/component': 'gateway' };
  const labels = {
    'app.kubernetes.io/name': 'portico-gateway',
    'app.kubernetes.io/instance': name,
    ...managedByLabels,
    ...selector,
  };
  // Knative and Kourier users find the gateway's Services by this label.
  const serviceLabels = { ...labels, 'networking.knative.dev/ingress-provider': 'kourier' };
  const memoryLimit = envoy.resources.limits?.memory;
  const adminPort = settings.adminPort ?? defaultAdminPort;
  const bootstrap = templates.bootstrap({
    installation: { name },
    adminPort,
    statsAddress: listeners.addresses[0],
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
    installation: { name },
    namespace: spec.namespace,
    namespaceLabels: { ...managedByLabels, [installationLabel]: name },
    names,
    labels,
    selector,
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
      '--service-cluster', name,
      // Pods are replaced by rolling updates, never hot-restarted: no shared memory needed.
      '--disable-hot-restart',
    ],
    preStopCommand: [
      '/bin/bash',
      '-c',
      `exec 3<>/dev/tcp/127.0.0.1/${adminPort} && printf 'POST /drain_listeners?graceful&inboundonly HTTP/1.1\\r\\nHost: localhost\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n' >&3; sleep ${envoy.drainSeconds}`,
    ],
    containerPorts: [
      { name: 'http', containerPort: ports.externalHTTP, protocol: 'TCP' },
      { name: 'http-internal', containerPort: ports.internalHTTP, protocol: 'TCP' },
      { name: 'https', containerPort: ports.externalHTTPS, protocol: 'TCP' },
      { name: 'https-internal', containerPort: ports.internalHTTPS, protocol: 'TCP' },
      { name: 'probe-http', containerPort: ports.probeHTTP, protocol: 'TCP' },
      { name: 'probe-https', containerPort: ports.probeHTTPS, protocol: 'TCP' },
      { name: 'metrics', containerPort: ports.metrics, protocol: 'TCP' },
    ],
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
    pdb: {
      minAvailable: envoy.podDisruptionBudget?.minAvailable ?? '80%',
      maxUnavailable: envoy.podDisruptionBudget?.maxUnavailable ?? null,
    },
  };

  const render = (delegate: Handlebars.TemplateDelegate): KubernetesObject[] =>
    parseAllDocuments(delegate(values)).map((document) => document.toJS() as KubernetesObject);
  const objects = [
    ...(values.xdsClient ? render(templates.xdsClientSecret) : []),
    ...render(templates.serviceAccount),
    ...render(templates.bootstrapConfigMap),
    ...render(templates.deployment),
    ...render(templates.services),
    ...(envoy.podDisruptionBudget?.enabled ? render(templates.podDisruptionBudget) : []),
    ...(envoy.autoscaling?.enabled ? render(templates.horizontalPodAutoscaler) : []),
    ...(spec.ingress.className ? render(templates.ingressClass) : []),
  ];
  return { namespace: parseYaml(templates.namespace(values)) as V1Namespace, objects };
}
