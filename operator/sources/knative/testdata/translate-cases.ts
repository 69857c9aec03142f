// The KIngress golden cases, shared by the golden test and the Envoy validation of their IRs:
// the cases' KIngresses translated and merged into a default installation's graph.
import type { V1EndpointSlice, V1Secret, V1Service } from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { GatewayIR } from '../../../../xds/ir.ts';
import { withDefaults } from '../../../api/schema-defaults.ts';
import type { GatewayInstallation } from '../../../api/gatewayinstallation.ts';
import type { Fragment } from '../../../graph/fragment.ts';
import { installationPart, type InstallationPart } from '../../../graph/installation.ts';
import { mergeFragments } from '../../../graph/merge.ts';
import type { Outcome } from '../../../graph/outcome.ts';
import type { Lookups } from '../../lookups.ts';
import { ingressHash } from '../hash.ts';
import { ingressKey, ingressOrigin, translateIngress, type KnativeOptions } from '../translate.ts';
import type { KnativeIngress } from '../types.ts';

const casesDirectory = new URL('./translate/', import.meta.url);

export const knativeCases = readdirSync(casesDirectory).sort();

export const knativeOptions: KnativeOptions = {
  clusterDomain: 'cluster.local',
  honorHttpOption: true,
};

export const defaultInstallation: GatewayInstallation = withDefaults({ apiVersion: 'portico.dev/v1alpha1', kind: 'GatewayInstallation', metadata: { name: 'kourier' }, spec: {} });

interface CaseInput {
  ingresses: KnativeIngress[];
  services: V1Service[];
  endpointSlices: V1EndpointSlice[];
  secrets?: V1Secret[];
  /** Options of this case beside the defaults. */
  options?: Partial<KnativeOptions>;
}

/** Lookups over plain lists, as the informers' caches answer them. */
export function listLookups(services: readonly V1Service[], endpointSlices: readonly V1EndpointSlice[], secrets: readonly V1Secret[] = []): Lookups {
  return {
    secret: (namespace, name) => secrets.find((secret) => secret.metadata?.namespace === namespace && secret.metadata.name === name),
    service: (namespace, name) => services.find((service) => service.metadata?.namespace === namespace && service.metadata.name === name),
    endpointSlices: (namespace, service) =>
      endpointSlices.filter((slice) => slice.metadata?.namespace === namespace && slice.metadata.labels?.['kubernetes.io/service-name'] === service),
  };
}

/**
 * A default installation's part without its plain listeners, which every case shares: the
 * goldens show the routes, clusters and certificates, and the HTTPS listeners the cases' TLS
 * entries make.
 */
export function routesOnlyPart(lookups: Lookups): InstallationPart {
  return { ...installationPart(defaultInstallation, lookups), listeners: [] };
}

/** KIngresses translated as the source does, each alone, and merged into one graph; outcomes by namespace/name. */
export function mergeIngresses(ingresses: readonly KnativeIngress[], lookups: Lookups, options: KnativeOptions = knativeOptions): { ir: GatewayIR; outcomes: Map<string, Outcome> } {
  const fragments: Fragment[] = ingresses.map((ingress) => ({ ...translateIngress(ingress, ingressHash(ingress), lookups, options), reads: new Set() }));
  const { ir, outcomes } = mergeFragments(routesOnlyPart(lookups), fragments);
  return { ir, outcomes: new Map(ingresses.flatMap((ingress) => { const outcome = outcomes.get(ingressOrigin(ingress).key); return outcome ? [[ingressKey(ingress), outcome]] : []; })) };
}

export function knativeCase(name: string): { ir: GatewayIR; outcomes: Map<string, Outcome> } {
  const input = parseYaml(readFileSync(new URL(`${name}/input.yaml`, casesDirectory), 'utf8')) as CaseInput;
  return mergeIngresses(input.ingresses, listLookups(input.services, input.endpointSlices, input.secrets), { ...knativeOptions, ...input.options });
}
