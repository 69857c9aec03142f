// Least privilege, checked from the other side: every verb the operator's roles grant was used
// by the operator during this run of the suite. The apiserver's audit log (Metadata level, every
// ServiceAccount) records each request the operator made under its own token; a granted verb
// that never shows up there is a permission the code does not need. This file runs last, and
// only with the whole suite (e2e/test.sh all), since only the whole suite exercises every path.
import { expect } from 'chai';
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { clusterRules, namespaceRules, type PolicyRule } from '../../deploy/render.ts';
import { localCluster } from '../support/cluster.ts';

interface AuditEvent {
  stage: string;
  verb: string;
  user: { username: string };
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string };
  requestReceivedTimestamp: string;
  responseStatus?: { code?: number };
  annotations?: Record<string, string>;
}

/** The operator's ServiceAccount as the suites create it (e2e/support/operator.ts) and as deploy/ names it. */
const operatorUser = /^system:serviceaccount:[^:]+:portico$/;

/** "group resource[/subresource] verb", the unit RBAC grants. */
function permission(group: string, resource: string, verb: string): string {
  return `${group === '' ? 'core' : group} ${resource} ${verb}`;
}

function granted(rules: PolicyRule[]): string[] {
  return rules.flatMap((rule) => rule.apiGroups.flatMap((group) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => permission(group, resource, verb)))));
}

/** The operator's authorized requests since `since`, as permissions. */
async function usedPermissions(auditLog: string, since: Date): Promise<Set<string>> {
  const used = new Set<string>();
  const lines = createInterface({ input: createReadStream(auditLog), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.includes('"system:serviceaccount:')) continue;
    const event = JSON.parse(line) as AuditEvent;
    if (event.stage !== 'ResponseComplete' || !operatorUser.test(event.user.username)) continue;
    if (new Date(event.requestReceivedTimestamp) < since) continue;
    if (event.annotations?.['authorization.k8s.io/decision'] !== 'allow' || !event.objectRef?.resource) continue;
    const { apiGroup = '', resource, subresource } = event.objectRef;
    const target = subresource ? `${resource}/${subresource}` : resource;
    used.add(permission(apiGroup, target, event.verb));
    // A server-side apply that creates the object answers 201; the apiserver checked the create verb too.
    if (event.verb === 'patch' && event.responseStatus?.code === 201) used.add(permission(apiGroup, target, 'create'));
  }
  return used;
}

describe("the operator's RBAC", function () {
  this.timeout(120_000);

  it('grants no verb the operator did not use during the whole suite', async () => {
    const { auditLog } = await localCluster();
    expect(existsSync(auditLog), `no audit log at ${auditLog}: the cluster was started without e2e/cluster/audit-policy.yaml; restart it (npm run cluster:down)`).to.equal(true);
    // This mocha process started the suite; requests from earlier runs on a kept cluster do not count.
    const suiteStart = new Date(Date.now() - process.uptime() * 1000);
    const used = await usedPermissions(auditLog, suiteStart);
    const unused = [...granted(clusterRules()), ...granted(namespaceRules())].filter((grant) => !used.has(grant));
    expect(unused, 'granted in deploy/clusterrole.yaml or deploy/leader-election-role.yaml but never used').to.deep.equal([]);
  });
});
