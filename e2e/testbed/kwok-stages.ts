// kwok's stages for the test bed's nodes and pods, as Stage objects (kwok.x-k8s.io/v1alpha1,
// served by kwok's CRD). They keep kwok's fake lifecycle for every pod the pod runtime does not
// run, and for the pods it does run they only hand out the pod's IP: the runtime then writes
// their status (Running, Ready from the readiness probe, restarts) and deletes them once their
// containers have stopped, as a kubelet would. Which pods are whose is decided by one jq
// expression over the images, built from the same table the runtime reads (images.ts).
import { hostAddress } from './addresses.ts';
import { fakeAnnotation, knownImagePattern } from './images.ts';

export interface Stage {
  apiVersion: 'kwok.x-k8s.io/v1alpha1';
  kind: 'Stage';
  metadata: { name: string };
  spec: {
    resourceRef: { apiGroup: 'v1'; kind: 'Node' | 'Pod' };
    selector: { matchExpressions: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }> };
    delay?: { durationMilliseconds: number; jitterDurationMilliseconds: number };
    next: { statusTemplate?: string; delete?: boolean };
  };
}

/** "true" when every container's image is one the runtime runs and the pod is not annotated to stay a fake (images.ts, runsForReal). */
export function realPodExpression(pattern = knownImagePattern()): string {
  return `((.metadata.annotations // {})[${JSON.stringify(fakeAnnotation)}] != "fake") and ([(.spec.initContainers // [])[].image, .spec.containers[].image] | all(test(${JSON.stringify(pattern)})))`;
}

const notDeleting = { key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' } as const;
const readyStatus = '.status.conditions // [] | map(select(.type == "Ready")) | .[0].status';

function stage(name: string, kind: 'Node' | 'Pod', matchExpressions: Stage['spec']['selector']['matchExpressions'], next: Stage['spec']['next'], delay?: Stage['spec']['delay']): Stage {
  return { apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'Stage', metadata: { name: `portico-${name}` }, spec: { resourceRef: { apiGroup: 'v1', kind }, selector: { matchExpressions }, ...(delay ? { delay } : {}), next } };
}

const nodeConditions = (heartbeat: string, transition: string) => ['Ready:True:KubeletReady:kubelet is posting ready status', 'MemoryPressure:False:KubeletHasSufficientMemory:kubelet has sufficient memory available', 'DiskPressure:False:KubeletHasNoDiskPressure:kubelet has no disk pressure', 'PIDPressure:False:KubeletHasSufficientPID:kubelet has sufficient PID available', 'NetworkUnavailable:False:RouteCreated:the test bed routes the node\'s pod CIDR']
  .map((line) => {
    const [type, status, reason, message] = line.split(':') as [string, string, string, string];
    return `- {type: ${type}, status: "${status}", reason: ${reason}, message: ${JSON.stringify(message)}, lastHeartbeatTime: ${heartbeat}, lastTransitionTime: ${transition}}`;
  })
  .join('\n');

/** Every stage kwok runs on the test bed. */
export function testBedStages(pattern = knownImagePattern()): Stage[] {
  const real = { key: realPodExpression(pattern), operator: 'In' as const, values: ['true'] };
  const fake = { key: realPodExpression(pattern), operator: 'In' as const, values: ['false'] };
  return [
    // Nodes: Ready, reachable at the machine's address towards pods (kwok serves their logs there).
    stage('node-initialize', 'Node', [{ key: readyStatus, operator: 'NotIn', values: ['True'] }], {
      statusTemplate: `{{ $now := Now | Quote }}
conditions:
${nodeConditions('{{ $now }}', '{{ $now }}')}
addresses:
- {type: InternalIP, address: ${hostAddress}}
- {type: Hostname, address: {{ .metadata.name | Quote }}}
{{ with NodePort }}
daemonEndpoints: {kubeletEndpoint: {Port: {{ . }}}}
{{ end }}
nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: {{ printf "kwok-%s" Version | Quote }}, kubeProxyVersion: "", containerRuntimeVersion: "portico-testbed://1", kernelVersion: "", osImage: "", machineID: "", systemUUID: "", bootID: ""}
phase: Running
`,
    }),
    // The kubelet's heartbeat: the node stays Ready while kwok runs.
    stage('node-heartbeat', 'Node', [{ key: readyStatus, operator: 'In', values: ['True'] }], {
      statusTemplate: `{{ $now := Now | Quote }}
conditions:
${nodeConditions('{{ $now }}', '{{ or .metadata.creationTimestamp $now }}')}
`,
    }, { durationMilliseconds: 20_000, jitterDurationMilliseconds: 25_000 }),
    // A fake pod: Running and Ready at once, at an IP of its node's podCIDR.
    stage('pod-ready', 'Pod', [notDeleting, fake, { key: '.status.phase', operator: 'In', values: ['Pending'] }, { key: readyStatus, operator: 'NotIn', values: ['True'] }], {
      statusTemplate: `{{ $now := Now | Quote }}
conditions:
- {type: Initialized, status: "True", lastTransitionTime: {{ $now }}}
- {type: Ready, status: "True", lastTransitionTime: {{ $now }}}
- {type: ContainersReady, status: "True", lastTransitionTime: {{ $now }}}
{{ range .spec.readinessGates }}
- {type: {{ .conditionType | Quote }}, status: "True", lastTransitionTime: {{ $now }}}
{{ end }}
containerStatuses:
{{ range .spec.containers }}
- {name: {{ .name | Quote }}, image: {{ .image | Quote }}, ready: true, started: true, restartCount: 0, state: {running: {startedAt: {{ $now }}}}}
{{ end }}
initContainerStatuses:
{{ range .spec.initContainers }}
- {name: {{ .name | Quote }}, image: {{ .image | Quote }}, ready: true, restartCount: 0, state: {terminated: {exitCode: 0, reason: Completed, startedAt: {{ $now }}, finishedAt: {{ $now }}}}}
{{ end }}
${addressesTemplate}
phase: Running
startTime: {{ $now }}
`,
    }),
    // A fake pod of a Job completes at once.
    stage('pod-complete', 'Pod', [notDeleting, fake, { key: '.status.phase', operator: 'In', values: ['Running'] }, { key: '.metadata.ownerReferences // [] | map(.kind) | .[]', operator: 'In', values: ['Job'] }], {
      statusTemplate: `{{ $now := Now | Quote }}
containerStatuses:
{{ range .spec.containers }}
- {name: {{ .name | Quote }}, image: {{ .image | Quote }}, ready: false, started: false, restartCount: 0, state: {terminated: {exitCode: 0, reason: Completed, finishedAt: {{ $now }}}}}
{{ end }}
phase: Succeeded
`,
    }),
    // A fake pod being deleted goes at once.
    stage('pod-delete', 'Pod', [{ key: '.metadata.deletionTimestamp', operator: 'Exists' }, fake], { delete: true }),
    // A pod the runtime runs gets its IP (and its node's) and stays Pending: the runtime takes it from there.
    stage('pod-sandbox', 'Pod', [notDeleting, real, { key: '.status.podIP', operator: 'DoesNotExist' }], {
      statusTemplate: `{{ $now := Now | Quote }}
conditions:
- {type: PodReadyToStartContainers, status: "False", lastTransitionTime: {{ $now }}}
- {type: Initialized, status: "False", reason: ContainersNotInitialized, lastTransitionTime: {{ $now }}}
- {type: Ready, status: "False", reason: ContainersNotReady, lastTransitionTime: {{ $now }}}
- {type: ContainersReady, status: "False", reason: ContainersNotReady, lastTransitionTime: {{ $now }}}
containerStatuses:
{{ range .spec.containers }}
- {name: {{ .name | Quote }}, image: {{ .image | Quote }}, ready: false, started: false, restartCount: 0, state: {waiting: {reason: ContainerCreating}}}
{{ end }}
${addressesTemplate}
phase: Pending
startTime: {{ $now }}
`,
    }),
  ];
}

const addressesTemplate = `{{ with NodeIPsWith .spec.nodeName }}
hostIP: {{ index . 0 | Quote }}
hostIPs:
{{ range . }}
- ip: {{ . | Quote }}
{{ end }}
{{ end }}
{{ with PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
podIP: {{ index . 0 | Quote }}
podIPs:
{{ range . }}
- ip: {{ . | Quote }}
{{ end }}
{{ end }}`;
