import { expect } from 'chai';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validVolumePath, writeAtomically } from './atomic-writer.ts';

describe('the test bed\'s atomic writer of volumes', () => {
  let directory: string;
  beforeEach(() => { directory = mkdtempSync(join(tmpdir(), 'portico-atomic-')); });
  afterEach(() => { rmSync(directory, { recursive: true, force: true }); });

  it('lays files out as the kubelet does: a timestamped directory, ..data, and a link per name', () => {
    expect(writeAtomically(directory, [{ path: 'tls.crt', content: Buffer.from('one'), mode: 0o644 }, { path: 'conf/app.yaml', content: Buffer.from('a: 1'), mode: 0o600 }])).to.equal(true);
    expect(readlinkSync(join(directory, '..data'))).to.match(/^\.\.\d{4}_/);
    expect(readlinkSync(join(directory, 'tls.crt'))).to.equal('..data/tls.crt');
    expect(readlinkSync(join(directory, 'conf'))).to.equal('..data/conf');
    expect(readFileSync(join(directory, 'conf/app.yaml'), 'utf8')).to.equal('a: 1');
    expect(lstatSync(join(directory, '..data', 'conf/app.yaml')).mode & 0o777).to.equal(0o600);
  });

  it('swaps ..data on a change, drops names no longer there, keeps directories it did not make, and writes nothing when nothing changed', () => {
    writeAtomically(directory, [{ path: 'a', content: Buffer.from('1'), mode: 0o644 }, { path: 'b', content: Buffer.from('2'), mode: 0o644 }]);
    const first = readlinkSync(join(directory, '..data'));
    mkdirSync(join(directory, 'mountpoint'));
    expect(writeAtomically(directory, [{ path: 'a', content: Buffer.from('1'), mode: 0o644 }, { path: 'b', content: Buffer.from('2'), mode: 0o644 }])).to.equal(false);
    expect(writeAtomically(directory, [{ path: 'a', content: Buffer.from('3'), mode: 0o644 }])).to.equal(true);
    expect(readlinkSync(join(directory, '..data'))).to.not.equal(first);
    expect(readFileSync(join(directory, 'a'), 'utf8')).to.equal('3');
    expect(readdirSync(directory).sort()).to.deep.equal(['..data', readlinkSync(join(directory, '..data')), 'a', 'mountpoint'].sort());
  });

  it('refuses a path that would leave the volume', () => {
    expect(validVolumePath('a/b')).to.equal(true);
    expect(validVolumePath('../etc/passwd')).to.equal(false);
    expect(validVolumePath('/abs')).to.equal(false);
    expect(() => writeAtomically(directory, [{ path: 'a/../../x', content: Buffer.from(''), mode: 0o644 }])).to.throw(/must be relative/);
  });
});
