// A container's environment and command line, resolved as the kubelet resolves them: `envFrom`
// first, then `env` in order (later names win), values from ConfigMaps, Secrets, the pod's own
// fields (fieldRef) and the container's resources (resourceFieldRef); `$(NAME)` in values,
// command and args expanded from the variables defined before it (`$$` escapes), unknown
// references left as written. Pure: the objects it reads are handed in.
import type { V1Container, V1Pod } from '@kubernetes/client-node';

export interface EnvironmentSources {
  configMap(namespace: string, name: string): Record<string, string> | undefined;
  /** A Secret's data, decoded. */
  secret(namespace: string, name: string): Record<string, string> | undefined;
}

/** Why a container cannot start: the kubelet's CreateContainerConfigError. */
export class ContainerConfigError extends Error {}

/** Expands `$(NAME)` references in `text` from `variables`. */
export function expand(text: string, variables: ReadonlyMap<string, string>): string {
  return text.replace(/\$\$|\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && variables.has(name) ? variables.get(name)! : match;
  });
}

/** The value of a downward API field path (metadata.name, status.podIP, metadata.labels['x'], …). */
export function podField(pod: V1Pod, fieldPath: string): string {
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelOrAnnotation) {
    const map = labelOrAnnotation[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[labelOrAnnotation[2]!] ?? '';
  }
  const serialized = (map: Record<string, string> | undefined) => Object.entries(map ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => `${key}=${JSON.stringify(value)}`).join('\n');
  switch (fieldPath) {
    case 'metadata.name': return pod.metadata?.name ?? '';
    case 'metadata.namespace': return pod.metadata?.namespace ?? '';
    case 'metadata.uid': return pod.metadata?.uid ?? '';
    case 'metadata.labels': return serialized(pod.metadata?.labels);
    case 'metadata.annotations': return serialized(pod.metadata?.annotations);
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? 'default';
    case 'status.hostIP': return pod.status?.hostIP ?? '';
    case 'status.hostIPs': return (pod.status?.hostIPs ?? []).map((entry) => entry.ip).join(',');
    case 'status.podIP': return pod.status?.podIP ?? '';
    case 'status.podIPs': return (pod.status?.podIPs ?? []).map((entry) => entry.ip).join(',');
    default: throw new ContainerConfigError(`fieldRef.fieldPath "${fieldPath}" is not a field the downward API serves`);
  }
}

const binarySuffixes: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const decimalSuffixes: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes quantity as a number (cpu in cores, memory in bytes). */
export function quantity(text: string): number {
  const match = /^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(text.trim());
  const scale = match ? (binarySuffixes[match[2]!] ?? decimalSuffixes[match[2]!]) : undefined;
  if (!match || scale === undefined) throw new ContainerConfigError(`"${text}" is not a quantity`);
  return Number(match[1]) * scale;
}

/** resourceFieldRef: limits.cpu, requests.memory, … in `divisor` units, rounded up; an unset limit is the node's allocatable. */
export function resourceField(container: V1Container, resource: string, divisor = '1', allocatable: Record<string, string> = {}): string {
  const [kind, name] = resource.split('.') as [string, string | undefined];
  if ((kind !== 'limits' && kind !== 'requests') || !name) throw new ContainerConfigError(`resourceFieldRef.resource "${resource}" is not limits.* or requests.*`);
  const value = container.resources?.[kind]?.[name] ?? (kind === 'requests' ? container.resources?.limits?.[name] : undefined) ?? allocatable[name];
  if (value === undefined) return '0';
  return String(Math.ceil(quantity(value) / quantity(divisor)));
}

/** The container's environment, in the order the kubelet builds it. */
export function containerEnvironment(pod: V1Pod, container: V1Container, sources: EnvironmentSources, base: Record<string, string> = {}, allocatable: Record<string, string> = {}): Map<string, string> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const variables = new Map(Object.entries(base));
  for (const from of container.envFrom ?? []) {
    const reference = from.configMapRef ?? from.secretRef;
    const kind = from.configMapRef ? 'ConfigMap' : 'Secret';
    if (!reference?.name) continue;
    const data = from.configMapRef ? sources.configMap(namespace, reference.name) : sources.secret(namespace, reference.name);
    if (!data) {
      if (reference.optional) continue;
      throw new ContainerConfigError(`${kind.toLowerCase()} "${reference.name}" not found`);
    }
    for (const [key, value] of Object.entries(data)) variables.set(`${from.prefix ?? ''}${key}`, value);
  }
  for (const variable of container.env ?? []) {
    const source = variable.valueFrom;
    if (!source) {
      variables.set(variable.name, expand(variable.value ?? '', variables));
      continue;
    }
    if (source.fieldRef) variables.set(variable.name, podField(pod, source.fieldRef.fieldPath));
    else if (source.resourceFieldRef) variables.set(variable.name, resourceField(container, source.resourceFieldRef.resource, source.resourceFieldRef.divisor ?? '1', allocatable));
    else {
      const reference = source.configMapKeyRef ?? source.secretKeyRef;
      if (!reference) continue;
      const kind = source.configMapKeyRef ? 'configmap' : 'secret';
      const data = source.configMapKeyRef ? sources.configMap(namespace, reference.name ?? '') : sources.secret(namespace, reference.name ?? '');
      const value = data?.[reference.key];
      if (value === undefined) {
        if (reference.optional) continue;
        throw new ContainerConfigError(data ? `couldn't find key ${reference.key} in ${kind} ${namespace}/${reference.name}` : `${kind} "${reference.name}" not found`);
      }
      variables.set(variable.name, value);
    }
  }
  return variables;
}

/**
 * The command line: the container's command, or else the image's ENTRYPOINT; the container's
 * args, or else the image's CMD when the container names no command either (a container's
 * command replaces both).
 */
export function commandLine(container: V1Container, image: { entrypoint: readonly string[]; cmd: readonly string[] }, variables: ReadonlyMap<string, string>): string[] {
  const command = container.command?.length ? container.command : [...image.entrypoint];
  const args = container.args?.length ? container.args : container.command?.length ? [] : [...image.cmd];
  const line = [...command, ...args].map((part) => expand(part, variables));
  if (line.length === 0) throw new ContainerConfigError(`container "${container.name}" has no command: the image names none either`);
  return line;
}
