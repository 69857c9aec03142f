// The KIngresses of one installation, each translated alone, folded into the installation's
// IR. A host belongs to the KIngress that claimed it first (oldest, then by name): a later one
// that claims it too is left out whole, with DomainConflict, and the first keeps serving.
// Pure.
import type { ClusterIR, GatewayIR, SecretIR, TlsChainIR, VirtualHostIR } from '../../../xds/ir.ts';
import type { IngressResult, IngressTranslation } from './translate.ts';

export interface IngressEntry {
  /** namespace/name */
  key: string;
  /** creationTimestamp, for who came first. */
  createdAt: string;
  result: IngressResult;
}

/** What became of a KIngress: served, or left out and why. */
export type IngressOutcome = { served: true } | { served: false; reason: string; message: string };

export interface Assembly {
  /** The routes, clusters and certificates of the KIngresses served (listeners as given). */
  ir: GatewayIR;
  outcomes: Map<string, IngressOutcome>;
  /** SNI filter chains of the served KIngresses, for the HTTPS listeners. */
  tlsChains: { external: TlsChainIR[]; internal: TlsChainIR[] };
}

function firstComesFirst(a: IngressEntry, b: IngressEntry): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The hosts a translation claims, one "routeConfig\0domain" string each, made once per
 * translation: a kept translation's strings keep their hash, so looking them up again in the
 * next build costs no string building or hashing (thousands of KIngresses make ~10^5 claims).
 */
const claimsOf = new WeakMap<IngressTranslation, Array<[claim: string, domain: string]>>();

function claims(translation: IngressTranslation): Array<[claim: string, domain: string]> {
  let list = claimsOf.get(translation);
  if (!list) {
    list = [...translation.virtualHosts].flatMap(([routeConfig, virtualHosts]) => virtualHosts.flatMap((host) => host.domains.map((domain): [string, string] => [`${routeConfig}\0${domain}`, domain])));
    claimsOf.set(translation, list);
  }
  return list;
}

export function assemble(base: GatewayIR, entries: readonly IngressEntry[]): Assembly {
  const outcomes = new Map<string, IngressOutcome>();
  const hosts = new Map<string, VirtualHostIR[]>(base.routeConfigs.map((config) => [config.name, [...config.virtualHosts]]));
  const clusters = new Map<string, ClusterIR>(base.clusters.map((cluster) => [cluster.name, cluster]));
  const secrets = new Map<string, SecretIR>((base.secrets ?? []).map((secret) => [secret.name, secret]));
  const tlsChains: Assembly['tlsChains'] = { external: [], internal: [] };
  // routeConfig + domain → the KIngress serving it.
  const owners = new Map<string, string>();

  for (const entry of [...entries].sort(firstComesFirst)) {
    if ('problem' in entry.result) {
      outcomes.set(entry.key, { served: false, ...entry.result.problem });
      continue;
    }
    const { translation } = entry.result;
    const claimed = new Set<string>();
    let conflict: string | undefined;
    for (const [claim, domain] of claims(translation)) {
      const owner = owners.get(claim);
      if (owner !== undefined) conflict = `host "${domain}" is already served by KIngress ${owner}`;
      else if (claimed.has(claim)) conflict = `host "${domain}" appears in two rules of the same visibility`;
      if (conflict) break;
      claimed.add(claim);
    }
    if (conflict) {
      outcomes.set(entry.key, { served: false, reason: 'DomainConflict', message: `Not served: ${conflict}.` });
      continue;
    }
    for (const claim of claimed) owners.set(claim, entry.key);
    for (const [routeConfig, virtualHosts] of translation.virtualHosts) {
      hosts.get(routeConfig)?.push(...virtualHosts);
    }
    for (const cluster of translation.clusters) clusters.set(cluster.name, cluster);
    for (const secret of translation.secrets) secrets.set(secret.name, secret);
    // The KIngress owns its hosts now, so no other chain names them.
    tlsChains.external.push(...translation.tlsChains.external);
    tlsChains.internal.push(...translation.tlsChains.internal);
    outcomes.set(entry.key, { served: true });
  }

  return {
    ir: {
      listeners: base.listeners,
      routeConfigs: base.routeConfigs.map((config) => ({ name: config.name, virtualHosts: [...(hosts.get(config.name) ?? [])].sort(byName) })),
      clusters: [...clusters.values()].sort(byName),
      ...(secrets.size ? { secrets: [...secrets.values()].sort(byName) } : {}),
    },
    outcomes,
    tlsChains,
  };
}
