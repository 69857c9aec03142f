// What a source makes of one object, source-neutral: the listeners it asks for, its virtual
// hosts on the installation's route tables, its clusters, certificates and TLS chains, and what
// it read to get there. Each fragment remembers its object (its origin); the graph merges the
// fragments of every source and decides who owns what (graph/merge.ts).
import type { ClusterIR, ListenerIR, SecretIR, TlsChainIR, VirtualHostIR } from '../../xds/ir.ts';
import type { Origin } from './origin.ts';

/** A virtual host the object puts on a route table (a RouteConfiguration). */
export interface HostClaim {
  /** The route table: one of the installation's (graph/installation.ts) or a listener the object asks for. */
  table: string;
  host: VirtualHostIR;
  /**
   * `whole`: the object owns every domain of the host alone (a KIngress). `paths`: objects of
   * one kind share a host, each owning the paths of its routes (Ingress rules of one host).
   * `merged`: objects share the host and claim nothing; their routes are merged in the Gateway
   * API's precedence, the older object's first among equals (HTTPRoutes of one hostname).
   */
  mode: 'whole' | 'paths' | 'merged';
  /** The field of the object that names the host, for messages ("spec.rules[1]"). */
  field: string;
}

/** A listener the object asks for (a Gateway's listener): its port is claimed on its address. */
export interface ListenerClaim {
  listener: ListenerIR;
  field: string;
}

/** A TLS filter chain for the secure listener that serves `table`. */
export interface TlsChainClaim {
  table: string;
  chain: TlsChainIR;
}

/** The object refused whole by its translator: a reason and a message naming the field. */
export interface Refusal {
  reason: string;
  message: string;
}

/** Something of an object its translator could not serve, while it serves the rest (a missing backend, a bad annotation). */
export interface Note {
  reason: string;
  /** Names the field and what is allowed or missing. */
  message: string;
}

export interface Fragment {
  origin: Origin;
  /** The object's generation the fragment was made from. */
  generation: number;
  /** Names this version of the object's routing (e.g. Knative's probe hash), for the snapshot ledger. */
  version: string;
  refusal?: Refusal;
  /** What the object asks for that is not served, though the object is. */
  notes?: Note[];
  listeners: ListenerClaim[];
  hosts: HostClaim[];
  clusters: ClusterIR[];
  secrets: SecretIR[];
  tlsChains: TlsChainClaim[];
  /** What the translation read besides the object ("service:ns/name", "secret:ns/name"): a change to one re-translates it. */
  reads: ReadonlySet<string>;
}

/** A fragment for an object its translator refused. */
export function refusedFragment(origin: Origin, generation: number, version: string, refusal: Refusal, reads: ReadonlySet<string>): Fragment {
  return { origin, generation, version, refusal, listeners: [], hosts: [], clusters: [], secrets: [], tlsChains: [], reads };
}
