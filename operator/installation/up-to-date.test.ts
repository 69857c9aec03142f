import { expect } from 'chai';
import { containsDesired } from './up-to-date.ts';

describe('containsDesired', () => {
  it('ignores fields the apiserver or other managers added', () => {
    const live = { metadata: { name: 'a', uid: 'u', labels: { x: '1', extra: '2' } }, spec: { clusterIP: '198.18.192.1', ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }] } };
    const desired = { metadata: { name: 'a', labels: { x: '1' } }, spec: { ports: [{ port: 80, protocol: 'TCP' }] } };
    expect(containsDesired(live, desired)).to.equal(true);
  });

  it('sees a changed, missing or reordered field', () => {
    const desired = { spec: { replicas: 2, ports: [{ port: 80 }, { port: 443 }] } };
    expect(containsDesired({ spec: { replicas: 3, ports: [{ port: 80 }, { port: 443 }] } }, desired)).to.equal(false);
    expect(containsDesired({ spec: { ports: [{ port: 80 }, { port: 443 }] } }, desired)).to.equal(false);
    expect(containsDesired({ spec: { replicas: 2, ports: [{ port: 443 }, { port: 80 }] } }, desired)).to.equal(false);
    expect(containsDesired({ spec: { replicas: 2, ports: [{ port: 80 }] } }, desired)).to.equal(false);
  });

  it('treats an empty object or list as absent, and int-or-string forms as equal', () => {
    expect(containsDesired({ spec: {} }, { spec: { volumes: [{ name: 'tmp', emptyDir: {} }].slice(1), selector: {} } })).to.equal(true);
    expect(containsDesired({ limits: { cpu: '1' } }, { limits: { cpu: 1 } })).to.equal(true);
    expect(containsDesired({ limits: { cpu: '2' } }, { limits: { cpu: 1 } })).to.equal(false);
  });
});
