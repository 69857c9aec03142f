// A Gateway → its fleet's own part of the graph (the listeners processor): one Envoy listener per
// port, HTTP or HTTPS (TLS terminated by SNI, each listener's certificates by SDS), with the
// installation's network, TLS and authorization settings; and what each Gateway listener is:
// valid or not, in conflict or not, which route kinds it takes, its conditions but for
// Programmed and attachedRoutes (status adds those). Pure.
import type { GatewayInstallation } from '../../api/gatewayinstallation.ts';
import type { HostClaim } from '../../graph/fragment.ts';
import type { InstallationPart } from '../../graph/installation.ts';
import { httpOptions, installationIR } from '../../installation/gateway-ir.ts';
import type { ListenerIR, SecretIR, TlsChainIR, TlsParamsIR } from '../../../xds/ir.ts';
import { tlsSecret } from '../tls-secret.ts';
import { frontendConfig, frontendValidation, type FrontendValidation } from './frontend-validation.ts';
import { referencePermitted, type GatewayLookups } from './lookups.ts';
import { gatewayGroup, type Gateway, type GatewayListener, type ListenerSet, type RouteGroupKind } from './types.ts';

/** The container port Envoy listens on for a Gateway port: unprivileged (Envoy runs as nobody), as Envoy Gateway maps them. */
export function envoyPort(port: number): number {
  return port < 1024 ? port + 10_000 : port;
}

/**
 * The route table (RouteConfiguration) of a Gateway listener. HTTP listeners on a port share one:
 * Envoy picks the virtual host by the Host header, so the most specific listener's routes answer.
 * An HTTPS listener has its own, behind its own filter chain: the table of the listener the
 * client's SNI chose answers, and a Host that belongs to another listener is misdirected (421).
 */
export function listenerTable(listener: GatewayListener, owner?: ListenerOwner): string {
  if (listener.protocol !== 'HTTPS' && listener.protocol !== 'TLS') return `port_${listener.port}`;
  return owner?.kind === 'ListenerSet' ? `port_${listener.port}_${owner.namespace}_${owner.name}_${listener.name}` : `port_${listener.port}_${listener.name}`;
}

/** Whose listener it is: the Gateway's own, or a ListenerSet's attached to it. */
export interface ListenerOwner {
  kind: 'Gateway' | 'ListenerSet';
  namespace: string;
  name: string;
}

export const sameOwner = (a: ListenerOwner, b: ListenerOwner): boolean => a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;
export const gatewayOwner = (gateway: Gateway): ListenerOwner => ({ kind: 'Gateway', namespace: gateway.metadata?.namespace ?? '', name: gateway.metadata?.name ?? '' });
export const listenerSetOwner = (set: ListenerSet): ListenerOwner => ({ kind: 'ListenerSet', namespace: set.metadata?.namespace ?? '', name: set.metadata?.name ?? '' });

/** Whether listener hostname `a` is more specific than `b` (undefined: any name). */
export function moreSpecific(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined) return false;
  if (b === undefined) return true;
  if (!b.startsWith('*.')) return false;
  return !a.startsWith('*.') || a.length > b.length;
}

/** The answer to a request whose Host belongs to another HTTPS listener than the one its connection's SNI chose. */
export const misdirected = { status: 421, body: 'misdirected request: this host is served on another connection (TLS server name)\n' };

export interface ListenerCondition {
  type: 'Accepted' | 'ResolvedRefs' | 'Conflicted' | 'Programmed';
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/** What a Gateway listener is, for routes to attach to and for its status. */
export interface ResolvedListener {
  listener: GatewayListener;
  owner: ListenerOwner;
  /** spec.listeners[i] */
  field: string;
  /** Valid and without conflict: routes may attach and Envoy serves it. */
  ready: boolean;
  /** The route kinds it takes (status.listeners[].supportedKinds). */
  kinds: RouteGroupKind[];
  table: string;
  conditions: ListenerCondition[];
  /** A TLS listener in Terminate mode: the SDS name of its certificate. */
  terminateSecret?: string;
}

export interface GatewayPart {
  part: InstallationPart;
  listeners: ResolvedListener[];
  /** Virtual hosts the Gateway itself claims: each HTTPS table's misdirected hosts, answered 421. */
  hosts: HostClaim[];
}

/** The route kinds each protocol served carries, the first ones by default. */
const kindsByProtocol: Record<string, readonly string[]> = {
  HTTP: ['HTTPRoute', 'GRPCRoute'],
  HTTPS: ['HTTPRoute', 'GRPCRoute'],
  TLS: ['TLSRoute'],
  TCP: ['TCPRoute'],
};
const protocolsServed = new Set(Object.keys(kindsByProtocol));

/** Whether a listener proxies connections (TLS, TCP) rather than serving HTTP. */
export const streamProtocol = (protocol: string): boolean => protocol === 'TLS' || protocol === 'TCP';

function condition(type: ListenerCondition['type'], ok: boolean, reason: string, message: string): ListenerCondition {
  return { type, status: ok ? 'True' : 'False', reason, message };
}

/** allowedRoutes.kinds checked against what the protocol carries. */
function routeKinds(listener: GatewayListener): { kinds: RouteGroupKind[]; invalid: string[]; carried: readonly string[] } {
  const carried = kindsByProtocol[listener.protocol] ?? [];
  const asked = listener.allowedRoutes?.kinds;
  if (!asked?.length) return { kinds: carried.map((kind) => ({ group: gatewayGroup, kind })), invalid: [], carried };
  const kinds: RouteGroupKind[] = [];
  const invalid: string[] = [];
  for (const kind of asked) {
    if ((kind.group ?? gatewayGroup) === gatewayGroup && carried.includes(kind.kind)) {
      if (!kinds.some((known) => known.kind === kind.kind)) kinds.push({ group: gatewayGroup, kind: kind.kind });
    } else {
      invalid.push(`${kind.group ?? gatewayGroup}/${kind.kind}`);
    }
  }
  return { kinds, invalid, carried };
}

/** The certificates of an HTTPS listener, or why they cannot be had. */
function certificates(owner: ListenerOwner, listener: GatewayListener, field: string, lookups: GatewayLookups): { secrets: SecretIR[] } | { problem: string; reason: 'RefNotPermitted' | 'InvalidCertificateRef' } {
  const invalid = (problem: string) => ({ problem, reason: 'InvalidCertificateRef' as const });
  const references = listener.tls?.certificateRefs ?? [];
  if (!references.length) return invalid(`${field}.tls.certificateRefs must name at least one Secret for protocol ${listener.protocol} in mode Terminate`);
  const secrets: SecretIR[] = [];
  const namespace = owner.namespace;
  for (const [index, reference] of references.entries()) {
    const where = `${field}.tls.certificateRefs[${index}]`;
    if ((reference.group ?? '') !== '' || (reference.kind ?? 'Secret') !== 'Secret') return invalid(`${where} must be a Secret (group "", kind Secret), not ${reference.group ?? ''}/${reference.kind ?? ''}`);
    const targetNamespace = reference.namespace ?? namespace;
    const permitted = referencePermitted(lookups, { from: { group: gatewayGroup, kind: owner.kind, namespace }, to: { group: '', kind: 'Secret', namespace: targetNamespace, name: reference.name } });
    if (!permitted) return { problem: `${where} names Secret ${targetNamespace}/${reference.name} in another namespace, and no ReferenceGrant there permits it`, reason: 'RefNotPermitted' };
    const result = tlsSecret(lookups.secret(targetNamespace, reference.name), targetNamespace, reference.name);
    if ('problem' in result) return invalid(`${where}: ${result.problem.message}`);
    secrets.push(result.secret);
  }
  return { secrets };
}

/** The installation's TLS settings, which every TLS chain of its Gateways shares. */
export function tlsParams(installation: GatewayInstallation): TlsParamsIR {
  const { cipherSuites, minimumVersion, maximumVersion } = installation.spec.tls;
  return { ...(cipherSuites?.length ? { cipherSuites } : {}), minimumVersion, maximumVersion };
}

/** The hostname a listener answers for on its port's table, '*' for any. */
const listenerHost = (listener: GatewayListener) => listener.hostname ?? '*';

/**
 * `listenerSets`: the sets the Gateway admits, in precedence order. Their listeners come after the
 * Gateway's own; one that collides with a listener before it (the Gateway's, or an older set's)
 * is in conflict, and the earlier one keeps its port and hostname.
 */
export function gatewayPart(gateway: Gateway, installation: GatewayInstallation, lookups: GatewayLookups, listenerSets: readonly ListenerSet[] = []): GatewayPart {
  const listeners = gateway.spec.listeners;
  const entries = [
    ...listeners.map((listener, index) => ({ listener, index, owner: gatewayOwner(gateway) })),
    ...listenerSets.flatMap((set) => set.spec.listeners.map((listener, index) => ({ listener, index, owner: listenerSetOwner(set) }))),
  ];
  const http = { ...httpOptions(installation), ignoreHostPort: true };
  const params = tlsParams(installation);
  // Conflicts first: a port carries one protocol, a port and protocol one listener per hostname.
  const protocolsByPort = new Map<number, Set<string>>();
  const hostnames = new Map<string, number>();
  for (const listener of listeners) {
    protocolsByPort.set(listener.port, (protocolsByPort.get(listener.port) ?? new Set()).add(listener.protocol));
    const key = `${listener.port}\0${listener.protocol}\0${listenerHost(listener)}`;
    hostnames.set(key, (hostnames.get(key) ?? 0) + 1);
  }
  // What the listeners before a set's listener hold: a port's protocol, a port, protocol and hostname.
  const claimedProtocols = new Map<number, string>();
  const claimedHosts = new Set<string>();
  for (const listener of listeners) {
    if (!claimedProtocols.has(listener.port)) claimedProtocols.set(listener.port, listener.protocol);
    claimedHosts.add(`${listener.port}\0${listener.protocol}\0${listenerHost(listener)}`);
  }
  const resolved: ResolvedListener[] = [];
  const chainsByPort = new Map<number, TlsChainIR[]>();
  const secrets = new Map<string, SecretIR>();
  const validationByPort = new Map<number, FrontendValidation>();
  for (const { listener, owner, index } of entries) {
    const field = `spec.listeners[${index}]`;
    const conditions: ListenerCondition[] = [];
    const { kinds, invalid, carried } = routeKinds(listener);
    const supported = protocolsServed.has(listener.protocol);
    const hostKey = `${listener.port}\0${listener.protocol}\0${listenerHost(listener)}`;
    let protocolConflict: boolean;
    let hostnameConflict: boolean;
    if (owner.kind === 'Gateway') {
      protocolConflict = (protocolsByPort.get(listener.port)?.size ?? 0) > 1;
      hostnameConflict = (hostnames.get(hostKey) ?? 0) > 1;
    } else {
      const held = claimedProtocols.get(listener.port);
      protocolConflict = held !== undefined && held !== listener.protocol;
      hostnameConflict = !protocolConflict && claimedHosts.has(hostKey);
      if (!protocolConflict && !hostnameConflict) {
        claimedProtocols.set(listener.port, listener.protocol);
        claimedHosts.add(hostKey);
      }
    }
    let refs: { ok: boolean; reason: string; message: string } = { ok: true, reason: 'ResolvedRefs', message: 'Every reference resolved.' };
    if (invalid.length) refs = { ok: false, reason: 'InvalidRouteKinds', message: `${field}.allowedRoutes.kinds: ${invalid.join(', ')} cannot attach to a ${listener.protocol} listener; allowed: ${carried.join(', ') || 'none'}` };
    let listenerSecrets: SecretIR[] = [];
    let noValidCaCertificate: string | undefined;
    let certificateProblem = false;
    const mode = listener.tls?.mode ?? 'Terminate';
    // HTTPS listeners end TLS; TLS listeners end it in Terminate mode and pass it through otherwise.
    if (supported && listener.protocol === 'HTTPS' && mode !== 'Terminate') {
      refs = { ok: false, reason: 'UnsupportedValue', message: `${field}.tls.mode: only Terminate is allowed for protocol HTTPS` };
      certificateProblem = true;
    } else if (supported && (listener.protocol === 'HTTPS' || listener.protocol === 'TLS') && mode === 'Terminate') {
      const result = certificates(owner, listener, field, lookups);
      if ('problem' in result) {
        refs = { ok: false, reason: result.reason, message: result.problem };
        certificateProblem = true;
      } else {
        listenerSecrets = result.secrets;
      }
    }
    if (supported && listener.protocol === 'HTTPS') {
      const frontend = validationByPort.get(listener.port) ?? frontendValidation(gateway, listener.port, lookups);
      validationByPort.set(listener.port, frontend);
      if (frontend.problem && refs.ok) refs = { ok: false, reason: frontend.problem.reason, message: frontend.problem.message };
      if (frontend.noValidCertificate) noValidCaCertificate = `No CA certificate of ${frontendConfig(gateway, listener.port)?.field ?? 'spec.tls.frontend'}.validation resolved: the listener cannot check client certificates`;
    }
    const conflict = protocolConflict
      ? { reason: 'ProtocolConflict', message: `${field}: port ${listener.port} is asked for with several protocols${owner.kind === 'ListenerSet' ? ' (the Gateway\'s or an older set\'s listener holds it)' : ''}` }
      : hostnameConflict
        ? { reason: 'HostnameConflict', message: `${field}: another listener on port ${listener.port} and protocol ${listener.protocol} has hostname ${listenerHost(listener)}${owner.kind === 'ListenerSet' ? ' (the Gateway\'s or an older set\'s, which keeps it)' : ''}` }
        : undefined;
    // A conflict is told first: it is why the listener is refused even where its protocol is served elsewhere.
    conditions.push(
      conflict
        ? condition('Accepted', false, conflict.reason, conflict.message)
        : !supported
          ? condition('Accepted', false, 'UnsupportedProtocol', `${field}.protocol: ${listener.protocol} is not served; allowed: ${[...protocolsServed].join(', ')}`)
          : noValidCaCertificate
            ? condition('Accepted', false, 'NoValidCACertificate', noValidCaCertificate)
            : condition('Accepted', true, 'Accepted', 'The listener is valid.'),
      condition('ResolvedRefs', refs.ok, refs.reason, refs.message),
      conflict ? { type: 'Conflicted', status: 'True', ...conflict } : { type: 'Conflicted', status: 'False', reason: 'NoConflicts', message: 'No conflict with another listener.' },
    );
    // A listener without its certificate serves nothing; one with invalid route kinds serves the
    // valid ones, one with some CA certificates unresolved checks clients with the others.
    const ready = supported && !conflict && !noValidCaCertificate && !certificateProblem;
    if (ready && listener.protocol === 'HTTPS') {
      for (const secret of listenerSecrets) secrets.set(secret.name, secret);
      const chain: TlsChainIR = { serverNames: listener.hostname ? [listener.hostname] : [], secret: listenerSecrets[0]!.name, routeConfigName: listenerTable(listener, owner) };
      chainsByPort.set(listener.port, [...(chainsByPort.get(listener.port) ?? []), chain]);
    }
    if (ready && listener.protocol === 'TLS') for (const secret of listenerSecrets) secrets.set(secret.name, secret);
    resolved.push({ listener, owner, field, ready, kinds: supported ? kinds : [], table: listenerTable(listener, owner), conditions, ...(listener.protocol === 'TLS' && mode === 'Terminate' && listenerSecrets[0] ? { terminateSecret: listenerSecrets[0].name } : {}) });
  }

  const proxyProtocol = installation.spec.proxyProtocol.enabled ? { proxyProtocol: true } : {};
  const envoyListeners: ListenerIR[] = [];
  // Stream listeners (TLS, TCP) are the routes' to build (stream-listeners.ts): without a route they serve nothing.
  for (const port of [...new Set(resolved.filter((item) => item.ready && !streamProtocol(item.listener.protocol)).map((item) => item.listener.port))].sort((a, b) => a - b)) {
    const name = `listener_${port}`;
    const chains = chainsByPort.get(port);
    // An HTTPS port's connection managers are its chains', each with its listener's table.
    const base: ListenerIR = { name, address: '0.0.0.0', port: envoyPort(port), routeConfigName: chains?.[0]?.routeConfigName ?? `port_${port}`, statPrefix: name, http, ...proxyProtocol };
    // Named chains first (the most specific name wins SNI), the listener without a hostname last.
    const clientValidation = validationByPort.get(port)?.validation;
    envoyListeners.push(chains
      ? { ...base, tls: { params, chains: [...chains].sort((a, b) => Number(a.serverNames.length === 0) - Number(b.serverNames.length === 0)), ...(clientValidation ? { clientValidation } : {}) } }
      : base);
  }
  const tables = [...new Set([...envoyListeners.map((listener) => listener.routeConfigName), ...envoyListeners.flatMap((listener) => listener.tls?.chains.map((chain) => chain.routeConfigName ?? listener.routeConfigName) ?? [])])];
  return {
    part: {
      listeners: envoyListeners,
      tables,
      secureListeners: [],
      fallbackChains: new Map(),
      clusters: installationIR(installation).clusters,
      secrets: [...secrets.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
      reads: new Set(),
    },
    listeners: resolved,
    hosts: misdirectedHosts(resolved),
  };
}

/**
 * In each HTTPS listener's table, the hostnames of the other HTTPS listeners on its port answer
 * 421, and so does every other name when the listener has a hostname of its own: a client that
 * reuses a connection for a host of another listener (HTTP/2 coalescing) is told to open its own.
 */
function misdirectedHosts(listeners: readonly ResolvedListener[]): HostClaim[] {
  const https = listeners.filter((item) => item.ready && item.listener.protocol === 'HTTPS');
  const claims: HostClaim[] = [];
  for (const own of https) {
    const names = https.filter((other) => other !== own && other.listener.port === own.listener.port).flatMap((other) => other.listener.hostname ?? []);
    if (own.listener.hostname !== undefined) names.push('*');
    for (const name of [...new Set(names)].sort()) {
      claims.push({
        table: own.table,
        mode: 'merged',
        field: `${own.field}.hostname`,
        host: { name, domains: [name], routes: [{ name: `misdirected/${own.listener.name}/${name}`, prefix: '/', direct: misdirected }] },
      });
    }
  }
  return claims;
}
