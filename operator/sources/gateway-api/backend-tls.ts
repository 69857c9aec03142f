// BackendTLSPolicies → how a Gateway speaks TLS to a Service port: which policy applies (one that
// names the port by sectionName over one for the whole Service; of two alike, the older, the
// other Conflicted), the CA certificates it trusts (ConfigMaps, or cert-manager's kubernetes.io/tls
// Secrets, key ca.crt), the SNI it sends and the names it checks; and each policy's conditions.
// Pure.
import type { V1ServicePort } from '@kubernetes/client-node';
import type { SubjectAltNameIR } from '../../../xds/ir.ts';
import { byNamespacedAge } from '../../kube/age.ts';
import { caCertificates } from './ca-certificates.ts';
import type { GatewayLookups } from './lookups.ts';
import type { BackendTLSPolicy } from './types.ts';

export interface PolicyCondition {
  type: 'Accepted' | 'ResolvedRefs';
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/** What a valid policy makes of the connection to the backend. */
export interface BackendTls {
  serverName: string;
  ca: string;
  subjectAltNames: SubjectAltNameIR[];
}

export interface PolicyOutcome {
  policy: BackendTLSPolicy;
  conditions: PolicyCondition[];
  /** Set when the policy is valid. */
  tls?: BackendTls;
}

export const policyKey = (policy: BackendTLSPolicy): string => `${policy.metadata?.namespace ?? ''}/${policy.metadata?.name ?? ''}`;

/** The sectionNames (undefined: the whole Service) a policy names the Service with. */
function targetsOf(policy: BackendTLSPolicy, service: string): Array<string | undefined> {
  return policy.spec.targetRefs.filter((target) => target.group === '' && target.kind === 'Service' && target.name === service).map((target) => target.sectionName);
}

/** A policy's CA certificates, SNI and names, or why it cannot be used. */
function resolvePolicy(policy: BackendTLSPolicy, lookups: GatewayLookups): PolicyOutcome {
  const namespace = policy.metadata?.namespace ?? '';
  const { validation } = policy.spec;
  const certificates: string[] = [];
  let refsProblem: { reason: 'InvalidKind' | 'InvalidCACertificateRef'; message: string } | undefined;
  for (const [index, reference] of (validation.caCertificateRefs ?? []).entries()) {
    const where = `spec.validation.caCertificateRefs[${index}]`;
    const { group } = reference;
    if (group !== '' || (reference.kind !== 'ConfigMap' && reference.kind !== 'Secret')) {
      refsProblem ??= { reason: 'InvalidKind', message: `${where}: ${group}/${reference.kind} cannot hold CA certificates; allowed: ConfigMap or Secret (group "") with key ca.crt` };
      continue;
    }
    const pem = reference.kind === 'ConfigMap'
      ? lookups.configMap(namespace, reference.name)?.data?.['ca.crt']
      : decodeBase64(lookups.secret(namespace, reference.name)?.data?.['ca.crt']);
    const parsed = pem === undefined ? undefined : caCertificates(pem);
    if (!parsed) {
      refsProblem ??= { reason: 'InvalidCACertificateRef', message: `${where}: ${reference.kind} ${namespace}/${reference.name} does not exist or has no PEM certificate under key ca.crt` };
      continue;
    }
    certificates.push(parsed);
  }
  const resolvedRefs: PolicyCondition = refsProblem
    ? { type: 'ResolvedRefs', status: 'False', ...refsProblem }
    : { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: 'Every CA certificate reference resolved.' };
  if (validation.wellKnownCACertificates !== undefined && !certificates.length) {
    return { policy, conditions: [{ type: 'Accepted', status: 'False', reason: 'Invalid', message: 'spec.validation.wellKnownCACertificates is not supported; name the CA certificates in spec.validation.caCertificateRefs' }, resolvedRefs] };
  }
  if (!certificates.length) {
    return { policy, conditions: [{ type: 'Accepted', status: 'False', reason: 'NoValidCACertificate', message: 'No CA certificate of spec.validation.caCertificateRefs resolved: connections to the targets are refused rather than left unverified' }, resolvedRefs] };
  }
  const subjectAltNames: SubjectAltNameIR[] = (validation.subjectAltNames ?? []).flatMap((name): SubjectAltNameIR[] => (name.type === 'URI' ? (name.uri ? [{ type: 'URI' as const, value: name.uri }] : []) : name.hostname ? [{ type: 'DNS' as const, value: name.hostname }] : []));
  return {
    policy,
    conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'The policy applies to its targets.' }, resolvedRefs],
    tls: { serverName: validation.hostname, ca: certificates.join(''), subjectAltNames: subjectAltNames.length ? subjectAltNames : [{ type: 'DNS', value: validation.hostname }] },
  };
}

function decodeBase64(value: string | undefined): string | undefined {
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString();
}

/**
 * The policies that name a Service (in its namespace), each with its conditions, and the outcome
 * of the one that applies to `port` (none: the port is spoken to in clear text).
 */
export function backendTlsOf(namespace: string, service: string, port: V1ServicePort | undefined, lookups: GatewayLookups): { applied?: PolicyOutcome; outcomes: PolicyOutcome[] } {
  const policies = lookups.backendTlsPolicies(namespace).filter((policy) => targetsOf(policy, service).length).sort(byNamespacedAge);
  if (!policies.length) return { outcomes: [] };
  // A target (the Service, or one of its ports) is the oldest policy's; a newer one naming it is Conflicted.
  const holders = new Map<string, BackendTLSPolicy>();
  const conflicted = new Set<BackendTLSPolicy>();
  for (const policy of policies) {
    for (const section of targetsOf(policy, service)) {
      const target = section ?? '';
      const holder = holders.get(target);
      if (holder && holder !== policy) conflicted.add(policy);
      else holders.set(target, policy);
    }
  }
  const outcomes = policies.map((policy): PolicyOutcome => {
    if (!conflicted.has(policy)) return resolvePolicy(policy, lookups);
    const older = [...holders.values()].find((holder) => targetsOf(holder, service).some((section) => targetsOf(policy, service).includes(section)));
    return {
      policy,
      conditions: [
        { type: 'Accepted', status: 'False', reason: 'Conflicted', message: `Service ${namespace}/${service} is the target of the older BackendTLSPolicy ${older ? policyKey(older) : ''} too, which applies` },
        { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: 'Not resolved: the policy is conflicted.' },
      ],
    };
  });
  const holder = (port?.name ? holders.get(port.name) : undefined) ?? holders.get('');
  const applied = holder && outcomes.find((outcome) => outcome.policy === holder);
  return { ...(applied ? { applied } : {}), outcomes };
}
