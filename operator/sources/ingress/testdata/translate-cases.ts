// The Ingress golden cases, shared by the golden test and the Envoy validation of their IRs:
// each case's Ingresses translated as the source does (canaries folded into their primaries)
// and merged into a default installation's graph.
import type { V1EndpointSlice, V1Ingress, V1Secret, V1Service } from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { GatewayIR } from '../../../../xds/ir.ts';
import type { Fragment, Note } from '../../../graph/fragment.ts';
import { mergeFragments } from '../../../graph/merge.ts';
import type { Outcome } from '../../../graph/outcome.ts';
import { listLookups, routesOnlyPart } from '../../knative/testdata/translate-cases.ts';
import { assignCanaries, canaryFragment, isCanary, translateAnnotated } from '../source.ts';
import { ingressKey } from '../translate.ts';

const casesDirectory = new URL('./translate/', import.meta.url);

export const ingressCases = readdirSync(casesDirectory).sort();

interface CaseInput {
  ingresses: V1Ingress[];
  services?: V1Service[];
  endpointSlices?: V1EndpointSlice[];
  secrets?: V1Secret[];
}

export interface IngressCaseResult {
  ir: GatewayIR;
  /** By namespace/name: what the graph decided, and what of the Ingress is not served. */
  ingresses: Record<string, { outcome: Outcome; notes?: Note[] }>;
}

export function ingressCase(name: string): IngressCaseResult {
  const input = parseYaml(readFileSync(new URL(`${name}/input.yaml`, casesDirectory), 'utf8')) as CaseInput;
  const lookups = listLookups(input.services ?? [], input.endpointSlices ?? [], input.secrets ?? []);
  const primaries = input.ingresses.filter((ingress) => !isCanary(ingress));
  const canaries = input.ingresses.filter(isCanary);
  const { byPrimary, canaryNotes } = assignCanaries(primaries, canaries);
  const fragments: Fragment[] = [
    ...primaries.map((ingress) => ({ ...translateAnnotated(ingress, lookups, byPrimary.get(ingressKey(ingress)) ?? [], 'cluster.local'), reads: new Set<string>() })),
    ...canaries.map((ingress) => ({ ...canaryFragment(ingress, canaryNotes.get(ingressKey(ingress)) ?? []), reads: new Set<string>() })),
  ];
  const { ir, outcomes } = mergeFragments(routesOnlyPart(lookups), fragments);
  const ingresses: IngressCaseResult['ingresses'] = {};
  for (const fragment of fragments) {
    const outcome = outcomes.get(fragment.origin.key);
    if (outcome) ingresses[`${fragment.origin.namespace}/${fragment.origin.name}`] = { outcome, ...(fragment.notes ? { notes: fragment.notes } : {}) };
  }
  return { ir, ingresses };
}
