// Which installation serves an Ingress: the one its IngressClass names. An Ingress names its
// class by spec.ingressClassName or, before that field existed, the kubernetes.io/ingress.class
// annotation (the field wins when both are set); one that names none takes the class marked
// as the cluster's default. A class is Portico's when its controller is Portico's and its
// parameters name a GatewayInstallation. Pure.
import type { V1Ingress, V1IngressClass } from '@kubernetes/client-node';
import { group as installationGroup, kind as installationKind, type GatewayInstallation } from '../../api/gatewayinstallation.ts';
import { byAge, objectAge } from '../../kube/age.ts';

export const ingressController = 'portico.dev/ingress-controller';
export const defaultClassAnnotation = 'ingressclass.kubernetes.io/is-default-class';
/** Deprecated by spec.ingressClassName, still written by many charts. */
export const legacyClassAnnotation = 'kubernetes.io/ingress.class';

/** The class an Ingress names itself, if any. */
export function namedClass(ingress: V1Ingress): string | undefined {
  return ingress.spec?.ingressClassName || ingress.metadata?.annotations?.[legacyClassAnnotation] || undefined;
}

/** The installation a class of Portico's names, or why the class serves nothing. */
export function classInstallation(ingressClass: V1IngressClass): { installation: string } | { problem: string } | undefined {
  if (ingressClass.spec?.controller !== ingressController) return undefined;
  const parameters = ingressClass.spec.parameters;
  if (!parameters || parameters.apiGroup !== installationGroup || parameters.kind !== installationKind || !parameters.name) {
    return { problem: `IngressClass ${ingressClass.metadata?.name ?? ''}: spec.parameters must name a GatewayInstallation (apiGroup: ${installationGroup}, kind: ${installationKind}, scope: Cluster, name: …)` };
  }
  if (parameters.scope !== undefined && parameters.scope !== 'Cluster') {
    return { problem: `IngressClass ${ingressClass.metadata?.name ?? ''}: spec.parameters.scope must be Cluster: a GatewayInstallation is cluster-scoped` };
  }
  return { installation: parameters.name };
}

/** The default class: of several marked so (the apiserver allows it), the oldest, as Kubernetes' admission picks. */
export function defaultClass(classes: readonly V1IngressClass[]): V1IngressClass | undefined {
  const marked = classes.filter((ingressClass) => ingressClass.metadata?.annotations?.[defaultClassAnnotation] === 'true');
  return [...marked].sort((a, b) => byAge(objectAge(a), objectAge(b)))[0];
}

/** The live installation that serves an Ingress, by its class; undefined if none of Portico's does. */
export function servingInstallation(
  ingress: V1Ingress,
  classes: { get(name: string): V1IngressClass | undefined; list(): readonly V1IngressClass[] },
  installations: readonly GatewayInstallation[],
): string | undefined {
  const className = namedClass(ingress);
  const ingressClass = className === undefined ? defaultClass(classes.list()) : classes.get(className);
  if (!ingressClass) return undefined;
  const target = classInstallation(ingressClass);
  if (!target || 'problem' in target) return undefined;
  const installation = installations.find((candidate) => candidate.metadata?.name === target.installation);
  return installation && !installation.metadata?.deletionTimestamp ? target.installation : undefined;
}
