// Which installation serves a Gateway: the one its GatewayClass names. A class is Portico's when
// its controllerName is Portico's; it serves when its parametersRef names a GatewayInstallation
// that exists. Each Gateway of such a class is a fleet of its own, keyed "gateway/<ns>/<name>"
// (a key no installation name can be, since those hold no slash). Pure.
import { group as installationGroup, kind as installationKind, type GatewayInstallation } from '../../api/gatewayinstallation.ts';
import type { Gateway, GatewayClass } from './types.ts';

export const gatewayController = 'portico.dev/gateway-controller';

/** The installation a class of Portico's names, or what is wrong with its parametersRef. */
export function classInstallation(gatewayClass: GatewayClass, installations: readonly GatewayInstallation[]): { installation: GatewayInstallation } | { problem: string } | undefined {
  if (gatewayClass.spec.controllerName !== gatewayController) return undefined;
  const reference = gatewayClass.spec.parametersRef;
  if (!reference || reference.group !== installationGroup || reference.kind !== installationKind) {
    return { problem: `spec.parametersRef must name a GatewayInstallation (group: ${installationGroup}, kind: ${installationKind}, name: …)` };
  }
  if (reference.namespace !== undefined) return { problem: 'spec.parametersRef.namespace must be empty: a GatewayInstallation is cluster-scoped' };
  const installation = installations.find((candidate) => candidate.metadata?.name === reference.name && !candidate.metadata.deletionTimestamp);
  if (!installation) return { problem: `spec.parametersRef names GatewayInstallation "${reference.name}", which does not exist` };
  return { installation };
}

const fleetPrefix = 'gateway/';

/** The fleet key of a Gateway: its graph, its snapshots and its Envoys' xDS identity. */
export function gatewayFleetKey(namespace: string, name: string): string {
  return `${fleetPrefix}${namespace}/${name}`;
}

export function gatewayKey(gateway: Gateway): string {
  return gatewayFleetKey(gateway.metadata?.namespace ?? '', gateway.metadata?.name ?? '');
}

/** The Gateway a fleet key names, if it is a Gateway's. */
export function parseGatewayFleetKey(key: string): { namespace: string; name: string } | undefined {
  if (!key.startsWith(fleetPrefix)) return undefined;
  const [namespace, name, ...rest] = key.slice(fleetPrefix.length).split('/');
  return namespace && name && !rest.length ? { namespace, name } : undefined;
}

/** The live installation serving a Gateway through its class, if the class is Portico's and names one. */
export function gatewayInstallation(
  gateway: Gateway,
  classes: { get(name: string): GatewayClass | undefined },
  installations: readonly GatewayInstallation[],
): GatewayInstallation | undefined {
  const gatewayClass = classes.get(gateway.spec.gatewayClassName);
  if (!gatewayClass) return undefined;
  const target = classInstallation(gatewayClass, installations);
  return target && 'installation' in target ? target.installation : undefined;
}
