// The status of an installation, from what the operator sees of what it owns. Pure.
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import type { GatewayInstallation, GatewayInstallationStatus } from '../api/gatewayinstallation.ts';
import { shortTypeName } from '../../xds/protos.ts';
import { updateConditions, type ConditionUpdate } from './conditions.ts';

/** Something wrong with an installation, reported in its Degraded condition. */
export interface Problem {
  /** CamelCase, e.g. SecretNotFound. */
  reason: string;
  /** What is wrong and what to do, naming the field. */
  message: string;
}

/** What the operator's replicas know of an installation's Envoys. */
export interface XdsObserved {
  /** The version of the installation's current snapshot. */
  snapshotVersion?: string;
  proxies: Array<{ nodeId: string; syncedVersion?: string; routedVersion?: string; lastNack?: { typeUrl: string; version: string; message: string } }>;
}

export interface Observed {
  xds?: XdsObserved;
  deployment?: V1Deployment;
  externalService?: V1Service;
  problems: Problem[];
  /** Nothing was installed, because of the problems (e.g. a conflict with another installation). */
  blocked: boolean;
}

/** The tag of an image reference (`repo/envoy:v1.40.0@sha256:…` → `v1.40.0`), if it has one. */
export function imageTag(image: string): string | undefined {
  const name = image.split('@')[0]!;
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(colon + 1) : undefined;
}

function envoyStatus(deployment: V1Deployment | undefined): GatewayInstallationStatus['envoy'] {
  if (!deployment) return undefined;
  const image = deployment.spec?.template.spec?.containers.find((container) => container.name === 'envoy')?.image;
  const desired = deployment.spec?.replicas ?? 0;
  const ready = deployment.status?.readyReplicas ?? 0;
  return {
    image,
    version: image === undefined ? undefined : imageTag(image),
    replicas: desired,
    readyReplicas: ready,
    updatedReplicas: deployment.status?.updatedReplicas ?? 0,
    availableReplicas: deployment.status?.availableReplicas ?? 0,
    ready: `${ready}/${desired}`,
  };
}

function addresses(service: V1Service | undefined): GatewayInstallationStatus['addresses'] {
  if (!service) return undefined;
  if (service.spec?.type === 'LoadBalancer') {
    return (service.status?.loadBalancer?.ingress ?? []).flatMap((ingress) => [
      ...(ingress.ip ? [{ type: 'IPAddress' as const, value: ingress.ip }] : []),
      ...(ingress.hostname ? [{ type: 'Hostname' as const, value: ingress.hostname }] : []),
    ]);
  }
  return (service.spec?.clusterIPs ?? []).filter((ip) => ip !== 'None').map((ip) => ({ type: 'IPAddress' as const, value: ip }));
}

function rollout(installation: GatewayInstallation, observed: Observed): ConditionUpdate {
  const { deployment } = observed;
  if (observed.blocked) return { type: 'Progressing', status: 'False', reason: 'Blocked', message: 'Nothing is installed until the Degraded problem is fixed.' };
  if (!deployment) return { type: 'Progressing', status: 'True', reason: 'Creating', message: 'Creating the Envoy Deployment.' };
  const image = installation.spec.envoy.image;
  const desired = deployment.spec?.replicas ?? 0;
  const total = deployment.status?.replicas ?? 0;
  // A Deployment that does not run the spec's image yet (the cache has not seen the update) has none updated.
  const current = deployment.spec?.template.spec?.containers.find((container) => container.name === 'envoy')?.image === image;
  const updated = current ? (deployment.status?.updatedReplicas ?? 0) : 0;
  const seen = (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
  if (!current || !seen || updated < desired || total > updated) {
    return { type: 'Progressing', status: 'True', reason: 'RollingOut', message: `${Math.min(updated, desired)}/${desired} replicas updated to ${image}.` };
  }
  return { type: 'Progressing', status: 'False', reason: 'RolloutComplete', message: `${desired}/${desired} replicas run ${image}.` };
}

function availability(observed: Observed): ConditionUpdate {
  const { deployment } = observed;
  if (!deployment) return { type: 'Available', status: 'False', reason: 'NotInstalled', message: 'The Envoy Deployment does not exist yet.' };
  const desired = deployment.spec?.replicas ?? 0;
  const ready = deployment.status?.readyReplicas ?? 0;
  if (desired === 0) return { type: 'Available', status: 'False', reason: 'ScaledToZero', message: 'spec.envoy.replicas is 0: no Envoy runs.' };
  const available = deployment.status?.conditions?.find((condition) => condition.type === 'Available')?.status === 'True';
  if (available && ready > 0) return { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: `${ready}/${desired} Envoy replicas are ready.` };
  return { type: 'Available', status: 'False', reason: 'ReplicasNotReady', message: `${ready}/${desired} Envoy replicas are ready; see the pods of Deployment ${deployment.metadata?.namespace}/${deployment.metadata?.name}.` };
}

function configSynced(xds: XdsObserved): ConditionUpdate {
  const total = xds.proxies.length;
  if (total === 0) {
    return { type: 'ConfigSynced', status: 'Unknown', reason: 'NoProxiesConnected', message: 'No Envoy of this installation is connected to the operator.' };
  }
  const synced = xds.proxies.filter((proxy) => proxy.syncedVersion !== undefined && proxy.syncedVersion === xds.snapshotVersion).length;
  const message = `${synced}/${total} proxies at version ${xds.snapshotVersion ?? 'none'}.`;
  return synced === total
    ? { type: 'ConfigSynced', status: 'True', reason: 'AllProxiesSynced', message }
    : { type: 'ConfigSynced', status: 'False', reason: 'ProxiesSyncing', message };
}

/** Problems the xDS server saw: pushes an Envoy rejected. */
function rejections(xds: XdsObserved | undefined): Problem[] {
  return (xds?.proxies ?? []).flatMap((proxy) =>
    proxy.lastNack
      ? [{ reason: 'ConfigRejected', message: `Envoy ${proxy.nodeId} rejected ${shortTypeName(proxy.lastNack.typeUrl)} version ${proxy.lastNack.version}: ${proxy.lastNack.message}` }]
      : [],
  );
}

export function computeStatus(installation: GatewayInstallation, observed: Observed, now: Date): GatewayInstallationStatus {
  const generation = installation.metadata?.generation ?? 0;
  const problems = [...observed.problems, ...rejections(observed.xds)];
  const degraded: ConditionUpdate = problems.length
    ? { type: 'Degraded', status: 'True', reason: problems[0]!.reason, message: problems.map((problem) => problem.message).join(' ') }
    : { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'Nothing is wrong.' };
  const progressing = rollout(installation, observed);
  const available = availability(observed);
  let ready: ConditionUpdate;
  if (degraded.status === 'True') ready = { type: 'Ready', status: 'False', reason: degraded.reason, message: degraded.message };
  else if (progressing.status === 'True') ready = { type: 'Ready', status: 'False', reason: progressing.reason, message: progressing.message };
  else if (available.status !== 'True') ready = { type: 'Ready', status: 'False', reason: available.reason, message: available.message };
  else ready = { type: 'Ready', status: 'True', reason: 'Ready', message: `The gateway runs as declared: ${available.message}` };

  const status: GatewayInstallationStatus = {
    observedGeneration: generation,
    conditions: updateConditions(
      installation.status?.conditions,
      [ready, available, progressing, degraded, ...(observed.xds ? [configSynced(observed.xds)] : [])],
      generation,
      now,
    ),
  };
  const envoy = envoyStatus(observed.deployment);
  if (envoy) status.envoy = envoy;
  if (observed.xds) {
    const nack = observed.xds.proxies.find((proxy) => proxy.lastNack)?.lastNack;
    status.xds = {
      version: observed.xds.snapshotVersion,
      proxies: observed.xds.proxies.length,
      synced: observed.xds.proxies.filter((proxy) => proxy.syncedVersion !== undefined && proxy.syncedVersion === observed.xds?.snapshotVersion).length,
      lastError: nack ? `${shortTypeName(nack.typeUrl)} ${nack.version}: ${nack.message}` : undefined,
    };
  }
  const found = addresses(observed.externalService);
  if (found?.length) status.addresses = found;
  return status;
}
