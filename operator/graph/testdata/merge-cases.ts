// The merge's golden cases: testdata/merge/<case>/input.yaml holds an installation's part and
// fragments in short (what a case leaves out takes the defaults below); expected.yaml what the
// graph made of them: every object's outcome and the resources Envoy gets.
import { readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { ClusterIR, ListenerIR, SecretIR, TlsChainIR } from '../../../xds/ir.ts';
import type { Fragment, HostClaim, ListenerClaim, Refusal, TlsChainClaim } from '../fragment.ts';
import type { InstallationPart, SecureListenerSlot } from '../installation.ts';
import { originOf } from '../origin.ts';

const casesDirectory = new URL('./merge/', import.meta.url);

export const mergeCases = readdirSync(casesDirectory).sort();

interface FragmentInput {
  /** "Kind namespace/name", e.g. "KIngress default/hello". */
  object: string;
  source?: string;
  created: string;
  refusal?: Refusal;
  listeners?: ListenerClaim[];
  hosts?: HostClaim[];
  clusters?: ClusterIR[];
  secrets?: SecretIR[];
  tlsChains?: TlsChainClaim[];
}

interface CaseInput {
  part?: { listeners?: ListenerIR[]; tables?: string[]; secureListeners?: SecureListenerSlot[]; fallbackChains?: Record<string, TlsChainIR[]>; clusters?: ClusterIR[]; secrets?: SecretIR[] };
  fragments: FragmentInput[];
}

/** An installation with one plain listener on 8080 for the external table, and an internal table. */
const defaultPart: InstallationPart = {
  listeners: [{ name: 'listener_8080', address: '0.0.0.0', port: 8080, routeConfigName: 'external_services', statPrefix: 'listener_8080' }],
  tables: ['external_services', 'internal_services'],
  secureListeners: [],
  fallbackChains: new Map(),
  clusters: [],
  secrets: [],
  reads: new Set(),
};

export function fragmentOf(input: FragmentInput): Fragment {
  const [kind = '', path = ''] = input.object.split(' ');
  const [namespace, name] = path.includes('/') ? path.split('/') : [undefined, path];
  const origin = originOf(input.source ?? kind.toLowerCase(), kind, { metadata: { namespace, name, creationTimestamp: new Date(input.created) } });
  return {
    origin,
    generation: 1,
    version: '1',
    ...(input.refusal ? { refusal: input.refusal } : {}),
    listeners: input.listeners ?? [],
    hosts: input.hosts ?? [],
    clusters: input.clusters ?? [],
    secrets: input.secrets ?? [],
    tlsChains: input.tlsChains ?? [],
    reads: new Set(),
  };
}

export function mergeCase(name: string): { part: InstallationPart; fragments: Fragment[] } {
  const input = parseYaml(readFileSync(new URL(`${name}/input.yaml`, casesDirectory), 'utf8')) as CaseInput;
  const given = input.part ?? {};
  const part: InstallationPart = {
    ...defaultPart,
    ...given,
    fallbackChains: new Map(Object.entries(given.fallbackChains ?? {})),
    reads: new Set(),
  };
  return { part, fragments: input.fragments.map(fragmentOf) };
}
