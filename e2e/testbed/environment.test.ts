import { expect } from 'chai';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { ContainerConfigError, commandLine, containerEnvironment, expand, podField, quantity, resourceField } from './environment.ts';

const pod: V1Pod = {
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web', tier: 'front' }, annotations: { note: 'a "b"' } },
  spec: { nodeName: 'kwok-node-0', serviceAccountName: 'web', containers: [] },
  status: { podIP: '198.18.128.9', podIPs: [{ ip: '198.18.128.9' }], hostIP: '198.18.240.1' },
};
const sources = {
  configMap: (namespace: string, name: string) => (namespace === 'shop' && name === 'settings' ? { LEVEL: 'debug', 'port': '8080' } : undefined),
  secret: (namespace: string, name: string) => (namespace === 'shop' && name === 'creds' ? { password: 'hunter2' } : undefined),
};

describe('the test bed: a container\'s environment and command line, as the kubelet resolves them', () => {
  it('expands $(NAME) from what is defined, leaves unknown references, and $$ escapes', () => {
    const variables = new Map([['A', 'one'], ['B', 'two']]);
    expect(expand('$(A)-$(B)-$(C)-$$(A)', variables)).to.equal('one-two-$(C)-$(A)');
  });

  it('serves the downward API fields, labels and annotations as the kubelet writes them', () => {
    expect(podField(pod, 'metadata.name')).to.equal('web-1');
    expect(podField(pod, 'status.podIP')).to.equal('198.18.128.9');
    expect(podField(pod, "metadata.labels['tier']")).to.equal('front');
    expect(podField(pod, 'metadata.labels')).to.equal('app="web"\ntier="front"');
    expect(podField(pod, 'metadata.annotations')).to.equal('note="a \\"b\\""');
    expect(() => podField(pod, 'spec.containers')).to.throw(ContainerConfigError, /not a field the downward API serves/);
  });

  it('reads resources in divisor units, rounding up, with requests falling back to limits', () => {
    const container: V1Container = { name: 'c', resources: { limits: { cpu: '250m', memory: '64Mi' } } };
    expect(resourceField(container, 'limits.cpu', '1m')).to.equal('250');
    expect(resourceField(container, 'limits.cpu')).to.equal('1');
    expect(resourceField(container, 'requests.memory', '1Mi')).to.equal('64');
    expect(quantity('1.5Gi')).to.equal(1.5 * 2 ** 30);
    expect(() => quantity('lots')).to.throw(ContainerConfigError);
  });

  it('builds the environment from envFrom, then env in order, and names a missing ConfigMap or key', () => {
    const container: V1Container = {
      name: 'c',
      envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'APP_' }],
      env: [
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'URL', value: 'http://$(NODE):$(APP_port)/' },
        { name: 'APP_LEVEL', value: 'info' },
        { name: 'MISSING', valueFrom: { configMapKeyRef: { name: 'settings', key: 'absent', optional: true } } },
      ],
    };
    const environment = containerEnvironment(pod, container, sources, { KUBERNETES_SERVICE_HOST: '198.18.192.1' });
    expect(Object.fromEntries(environment)).to.deep.equal({
      KUBERNETES_SERVICE_HOST: '198.18.192.1', APP_LEVEL: 'info', APP_port: '8080', NODE: 'kwok-node-0', PASSWORD: 'hunter2', URL: 'http://kwok-node-0:8080/',
    });
    expect(() => containerEnvironment(pod, { name: 'c', envFrom: [{ secretRef: { name: 'nope' } }] }, sources)).to.throw(ContainerConfigError, 'secret "nope" not found');
    expect(() => containerEnvironment(pod, { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'settings', key: 'absent' } } }] }, sources))
      .to.throw(ContainerConfigError, "couldn't find key absent in configmap shop/settings");
  });

  it('combines command and args with the image\'s entrypoint and command as a container runtime does', () => {
    const image = { entrypoint: ['/entry'], cmd: ['--default'] };
    const variables = new Map([['PORT', '9000']]);
    expect(commandLine({ name: 'c' }, image, variables)).to.deep.equal(['/entry', '--default']);
    expect(commandLine({ name: 'c', args: ['--port', '$(PORT)'] }, image, variables)).to.deep.equal(['/entry', '--port', '9000']);
    expect(commandLine({ name: 'c', command: ['/bin/sh'] }, image, variables)).to.deep.equal(['/bin/sh']);
    expect(() => commandLine({ name: 'c' }, { entrypoint: [], cmd: [] }, variables)).to.throw(ContainerConfigError, 'has no command');
  });
});
