// The test backends and clients that conformance scenarios send through Envoy, exercised
// directly (no Envoy): each kind of backend in a test host, reached by the client a scenario
// would use, so that what a scenario asserts through the proxy is known to hold without it.
import { expect } from 'chai';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAuthority, issue, type KeyPair } from '../../xds/certificates.ts';
import { grpcChat, grpcUnary, sendHttp2, sendRequest, websocketExchange, type HttpResponse } from '../support/http.ts';
import { createTestHost, type Backend, type BackendOptions, type TestHost } from '../support/netns.ts';
import { OutputTail } from '../support/processes.ts';
import { encodeProxyHeader, type ProxyHeader } from '../support/proxy-protocol.ts';

interface Echo {
  backend: string;
  httpVersion: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  remoteAddress: string;
  tls?: { servername: string | false; alpnProtocol: string | false; version: string };
}

function echoOf(response: HttpResponse): Echo {
  return JSON.parse(response.body) as Echo;
}

const secureName = 'secure.example.com';

describe('test backends, reached directly', function () {
  let host: TestHost;
  let directory: string;
  let authority: KeyPair;
  const backends = new Map<string, Backend>();
  // name, port, protocol, over TLS
  const kinds: Array<[string, number, BackendOptions['protocol'], boolean]> = [
    ['http1', 8080, undefined, false],
    ['h2c', 8081, 'h2c', false],
    ['grpc', 8082, 'grpc', false],
    ['https', 8443, 'http1', true],
    ['h2', 8444, 'h2c', true],
    ['grpcs', 8445, 'grpc', true],
  ];
  const url = (name: string, path: string, scheme = 'http'): string => `${scheme}://${host.address}:${backends.get(name)!.port}${path}`;
  const address = (name: string): string => `${host.address}:${backends.get(name)!.port}`;

  before(async function () {
    host = await createTestHost();
    directory = mkdtempSync(join(tmpdir(), 'portico-backends-'));
    authority = await createAuthority('backends test authority', 1);
    const leaf = await issue(authority, { commonName: secureName, dnsNames: [secureName], usage: 'server', validDays: 1 });
    const tls = { cert: join(directory, 'tls.crt'), key: join(directory, 'tls.key') };
    writeFileSync(tls.cert, leaf.cert);
    writeFileSync(tls.key, leaf.key);
    await Promise.all(kinds.map(async ([name, port, protocol, secure]) => {
      backends.set(name, await host.startBackend(name, port, secure ? { protocol, tls } : { protocol }));
    }));
  });

  after(async () => {
    await host.destroy();
    rmSync(directory, { recursive: true, force: true });
  });

  describe('http1', () => {
    it('echoes the request and names itself', async () => {
      const response = await sendRequest(url('http1', '/hello?x=1'), { method: 'POST', headers: { host: 'echo.example.com', 'x-test': 'one' }, body: 'ping' });
      expect(response.status).to.equal(200);
      expect(response.headers['x-backend']).to.equal('http1');
      const echo = echoOf(response);
      expect(echo).to.include({ backend: 'http1', httpVersion: '1.1', method: 'POST', path: '/hello?x=1', body: 'ping', remoteAddress: host.gateway });
      expect(echo.headers).to.include({ host: 'echo.example.com', 'x-test': 'one' });
      expect(echo.tls).to.equal(undefined);
    });

    it('answers the status a request asks for, after the delay it asks for', async () => {
      expect((await sendRequest(url('http1', '/?status=503'))).status).to.equal(503);
      const delayed = await sendRequest(url('http1', '/slow?delay=300&status=202'));
      expect(delayed.status).to.equal(202);
      expect(echoOf(delayed).path).to.equal('/slow?delay=300&status=202');
    });

    it('streams the chunks a request asks for', async () => {
      const response = await sendRequest(url('http1', '/stream?chunks=3&interval=20'));
      expect(response.headers['transfer-encoding']).to.equal('chunked');
      expect(response.body).to.equal('http1 chunk 1\nhttp1 chunk 2\nhttp1 chunk 3\n');
    });

    it('echoes websocket messages prefixed with its name', async () => {
      const replies = await websocketExchange(url('http1', '/socket', 'ws'), ['one', 'two'], { headers: { host: 'ws.example.com' } });
      expect(replies).to.deep.equal(['http1: one', 'http1: two']);
    });
  });

  describe('h2c', () => {
    it('speaks HTTP/2 with prior knowledge, and sees the :authority sent', async () => {
      const response = await sendHttp2(url('h2c', '/two?status=201'), { authority: 'h2.example.com', headers: { 'x-test': 'two' } });
      expect(response).to.include({ status: 201, httpVersion: '2.0' });
      expect(response.headers['x-backend']).to.equal('h2c');
      const echo = echoOf(response);
      expect(echo).to.include({ backend: 'h2c', httpVersion: '2.0', path: '/two?status=201' });
      expect(echo.headers).to.include({ ':authority': 'h2.example.com', 'x-test': 'two' });
    });

    it('speaks HTTP/1.1 on the same port, websockets included', async () => {
      const response = await sendRequest(url('h2c', '/one'), { headers: { host: 'h1.example.com' } });
      expect(echoOf(response)).to.include({ backend: 'h2c', httpVersion: '1.1' });
      expect(await websocketExchange(url('h2c', '/socket', 'ws'), ['three'])).to.deep.equal(['h2c: three']);
    });

    it('streams and delays over HTTP/2 too', async () => {
      const streamed = await sendHttp2(url('h2c', '/stream?chunks=2&interval=20'));
      expect(streamed.body).to.equal('h2c chunk 1\nh2c chunk 2\n');
      expect((await sendHttp2(url('h2c', '/?delay=200&status=503'))).status).to.equal(503);
    });
  });

  describe('grpc', () => {
    it('answers a unary call with its name, the :authority and the metadata', async () => {
      const reply = await grpcUnary(address('grpc'), 'hello', { authority: 'grpc.example.com', metadata: { 'x-test': 'three' } });
      expect(reply).to.include({ backend: 'grpc', message: 'hello', authority: 'grpc.example.com' });
      expect(reply.metadata['x-test']).to.equal('three');
    });

    it('answers each message of a bidirectional stream as it comes', async () => {
      const replies = await grpcChat(address('grpc'), ['a', 'b', 'c'], { authority: 'grpc.example.com' });
      expect(replies.map((reply) => `${reply.backend}/${reply.message}/${reply.authority}`)).to.deep.equal([
        'grpc/a/grpc.example.com',
        'grpc/b/grpc.example.com',
        'grpc/c/grpc.example.com',
      ]);
    });
  });

  describe('over TLS', () => {
    const trusted = { ca: () => authority.cert };

    it('serves HTTPS with the certificate for the name the client sends (SNI)', async () => {
      const response = await sendRequest(url('https', '/secure', 'https'), { headers: { host: secureName }, tls: { ca: trusted.ca() } });
      expect(response.status).to.equal(200);
      expect(response.tls?.certificate.subject.CN).to.equal(secureName);
      expect(echoOf(response).tls).to.include({ servername: secureName });
    });

    it('is refused by a client that does not trust the authority', async () => {
      const refused = await sendRequest(url('https', '/', 'https'), { headers: { host: secureName } }).then(() => undefined, (error: unknown) => error);
      expect(refused).to.have.property('code', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    });

    it('offers a client with a restricted cipher list only what it asked for, and refuses a list it cannot serve', async () => {
      // The certificate's key is ECDSA: RSA-authenticated suites cannot be negotiated with it.
      const tls = { ca: trusted.ca(), maxVersion: 'TLSv1.2' as const };
      const accepted = await sendRequest(url('https', '/', 'https'), { headers: { host: secureName }, tls: { ...tls, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' } });
      expect(accepted.tls).to.include({ version: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
      const refused = await sendRequest(url('https', '/', 'https'), { headers: { host: secureName }, tls: { ...tls, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' } }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).to.have.property('code').that.matches(/HANDSHAKE_FAILURE/);
    });

    it('speaks h2 or HTTP/1.1 on one port, as ALPN chooses, websockets included', async () => {
      const h2 = await sendHttp2(url('h2', '/alpn', 'https'), { authority: secureName, tls: { ca: trusted.ca() } });
      expect(h2.tls?.alpnProtocol).to.equal('h2');
      expect(echoOf(h2)).to.include({ backend: 'h2', httpVersion: '2.0' });
      expect(echoOf(h2).tls).to.include({ servername: secureName, alpnProtocol: 'h2' });
      const h1 = await sendRequest(url('h2', '/alpn', 'https'), { headers: { host: secureName }, tls: { ca: trusted.ca() } });
      expect(echoOf(h1)).to.include({ backend: 'h2', httpVersion: '1.1' });
      expect(await websocketExchange(url('h2', '/socket', 'wss'), ['four'], { headers: { host: secureName }, tls: { ca: trusted.ca() } })).to.deep.equal(['h2: four']);
    });

    it('serves gRPC over TLS', async () => {
      const reply = await grpcUnary(address('grpcs'), 'secret', { authority: secureName, tls: { ca: trusted.ca() } });
      expect(reply).to.include({ backend: 'grpcs', message: 'secret', authority: secureName });
      expect(await grpcChat(address('grpcs'), ['x'], { authority: secureName, tls: { ca: trusted.ca() } })).to.have.length(1);
    });
  });

  describe('on SIGTERM', () => {
    const script = fileURLToPath(new URL('../support/backend.ts', import.meta.url));
    for (const protocol of ['http1', 'h2c', 'grpc'] as const) {
      it(`${protocol} exits 0`, async () => {
        const child = host.spawn(process.execPath, [script, '--name', 'stopping', '--port', '9090', '--host', host.address, '--protocol', protocol]);
        const output = new OutputTail();
        output.attach(child);
        const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
        await new Promise<void>((resolve) => { output.onLine((line) => { if (line.startsWith('listening ')) resolve(); }); });
        child.kill('SIGTERM');
        expect(await exited, output.text()).to.deep.equal([0, null]);
      });
    }
  });
});

describe('PROXY protocol headers', () => {
  /** Decodes one header at the start of `bytes` by HAProxy's proxy-protocol.txt; undefined while incomplete. */
  function decode(bytes: Buffer): { header: ProxyHeader; length: number } | undefined {
    if (bytes.toString('latin1', 0, 6) === 'PROXY ') {
      // Version 1: one line of at most 107 bytes.
      const v1 = /^PROXY (TCP4|TCP6) (\S+) (\S+) (\d+) (\d+)\r\n/.exec(bytes.toString('latin1', 0, Math.min(bytes.length, 107)));
      if (!v1) return undefined;
      return {
        header: { version: 1, source: { address: v1[2]!, port: Number(v1[4]) }, destination: { address: v1[3]!, port: Number(v1[5]) } },
        length: v1[0].length,
      };
    }
    if (bytes.length < 16) return undefined;
    expect(bytes.subarray(0, 12).toString('hex'), 'v2 signature').to.equal('0d0a0d0a000d0a515549540a');
    expect(bytes[12], 'version 2, command PROXY').to.equal(0x21);
    const length = 16 + bytes.readUInt16BE(14);
    if (bytes.length < length) return undefined;
    const size = bytes[13] === 0x11 ? 4 : 16;
    expect(bytes[13], 'TCP over IPv4 or IPv6').to.be.oneOf([0x11, 0x21]);
    expect(length - 16, 'address block length').to.equal(2 * size + 4);
    const ip = (offset: number): string =>
      size === 4 ? [...bytes.subarray(offset, offset + 4)].join('.') : Array.from({ length: 8 }, (_, group) => bytes.readUInt16BE(offset + group * 2).toString(16)).join(':');
    return {
      header: { version: 2, source: { address: ip(16), port: bytes.readUInt16BE(16 + 2 * size) }, destination: { address: ip(16 + size), port: bytes.readUInt16BE(18 + 2 * size) } },
      length,
    };
  }

  it('encodes versions 1 and 2 as the spec reads, for IPv4 and IPv6', () => {
    const v4 = { source: { address: '203.0.113.7', port: 51_000 }, destination: { address: '198.51.100.1', port: 443 } };
    const v6 = { source: { address: '2001:db8::7', port: 51_001 }, destination: { address: '::ffff:198.51.100.1', port: 80 } };
    expect(encodeProxyHeader({ version: 1, ...v4 }).toString()).to.equal('PROXY TCP4 203.0.113.7 198.51.100.1 51000 443\r\n');
    expect(decode(encodeProxyHeader({ version: 1, ...v6 }))?.header).to.deep.equal({ version: 1, ...v6 });
    expect(decode(encodeProxyHeader({ version: 2, ...v4 }))).to.deep.equal({ header: { version: 2, ...v4 }, length: 28 });
    expect(decode(encodeProxyHeader({ version: 2, ...v6 }))).to.deep.equal({
      header: { version: 2, source: { address: '2001:db8:0:0:0:0:0:7', port: 51_001 }, destination: { address: '0:0:0:0:0:ffff:c633:6401', port: 80 } },
      length: 52,
    });
  });

  describe('written by the clients before the request, and before the TLS handshake', () => {
    let authority: KeyPair;
    let plain: Server;
    let secure: Server;

    /** A listener that reads a PROXY header, then hands the connection to `server`, as Envoy's proxy_protocol filter does. */
    async function proxyProtocolListener(server: { emit(event: 'connection', socket: Socket): unknown }, secure: boolean): Promise<Server> {
      const listener = createTcpServer((socket) => {
        let seen = Buffer.alloc(0);
        const onData = (chunk: Buffer): void => {
          seen = Buffer.concat([seen, chunk]);
          const decoded = decode(seen);
          if (!decoded) return;
          socket.off('data', onData);
          socket.pause();
          socket.unshift(seen.subarray(decoded.length));
          headers.set(socket.remotePort ?? 0, decoded.header);
          server.emit('connection', socket);
          // node's HTTP server reads through 'data' events, which the pause stopped; its TLS
          // server takes the unshifted bytes itself, and a flowing socket would lose them.
          if (!secure) socket.resume();
        };
        socket.on('data', onData);
      });
      listener.listen(0, '127.0.0.1');
      await once(listener, 'listening');
      return listener;
    }
    const headers = new Map<number, ProxyHeader>();
    // Answers with the header its connection came with, keyed by the connection's source port.
    const answer: RequestListener = (request, response) => {
      response.end(JSON.stringify({ header: headers.get(request.socket.remotePort ?? 0), host: request.headers.host }));
    };

    before(async () => {
      authority = await createAuthority('proxy protocol test authority', 1);
      const leaf = await issue(authority, { commonName: 'proxied.example.com', dnsNames: ['proxied.example.com'], usage: 'server', validDays: 1 });
      plain = await proxyProtocolListener(createHttpServer(answer), false);
      secure = await proxyProtocolListener(createHttpsServer({ cert: leaf.cert, key: leaf.key }, answer), true);
    });

    after(() => {
      plain.close();
      secure.close();
    });

    const port = (server: Server): number => (server.address() as AddressInfo).port;

    it('version 1 with chosen addresses, on plain HTTP', async () => {
      const header = { version: 1 as const, source: { address: '203.0.113.9', port: 40_000 }, destination: { address: '198.51.100.2', port: 80 } };
      const response = await sendRequest(`http://127.0.0.1:${port(plain)}/`, { headers: { host: 'proxied.example.com' }, proxyProtocol: header });
      expect(JSON.parse(response.body)).to.deep.equal({ header, host: 'proxied.example.com' });
    });

    it('version 2 with the connection\'s own addresses, then TLS', async () => {
      const response = await sendRequest(`https://127.0.0.1:${port(secure)}/`, { headers: { host: 'proxied.example.com' }, tls: { ca: authority.cert }, proxyProtocol: { version: 2 } });
      const { header } = JSON.parse(response.body) as { header: ProxyHeader };
      expect(header.version).to.equal(2);
      expect(header.source.address).to.equal('127.0.0.1');
      expect(header.destination).to.deep.equal({ address: '127.0.0.1', port: port(secure) });
      expect(response.tls?.certificate.subject.CN).to.equal('proxied.example.com');
    });
  });
});
