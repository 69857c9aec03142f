import { expect } from 'chai';
import { resourceOfPath } from './client.ts';

describe('resourceOfPath', () => {
  it('names the resource of core, group, namespaced, cluster-scoped and subresource paths', () => {
    expect(resourceOfPath('/api/v1/namespaces/ns/services/kourier')).to.equal('services');
    expect(resourceOfPath('/api/v1/namespaces/kourier-system')).to.equal('namespaces');
    expect(resourceOfPath('/api/v1/namespaces')).to.equal('namespaces');
    expect(resourceOfPath('/apis/coordination.k8s.io/v1/namespaces/ops/leases/portico-leader')).to.equal('leases');
    expect(resourceOfPath('/apis/portico.dev/v1alpha1/gatewayinstallations/kourier/status')).to.equal('gatewayinstallations/status');
    expect(resourceOfPath('/apis/apps/v1/namespaces/ns/deployments')).to.equal('deployments');
  });
});
