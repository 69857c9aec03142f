// Clients for real traffic in tests. Each reaches a proxy (or a backend) by address while
// naming the virtual host it means, as a client that resolved the name would: the Host
// header or :authority, and SNI from the same name. Every one can open its connection with
// a PROXY protocol header, and over TLS with a chosen trust, cipher list and TLS versions.
import { Client as GrpcClient, Metadata, credentials as grpcCredentials, type ChannelOptions, type MethodDefinition } from '@grpc/grpc-js';
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { connect as http2Connect, type IncomingHttpHeaders as Http2Headers } from 'node:http2';
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type SecureVersion, type TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import { echoService, type EchoReply } from './echo-service.ts';
import { encodeProxyHeader, type ProxyEndpoint } from './proxy-protocol.ts';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** As the server's status line said it: 1.1 (or 1.0); 2.0 for HTTP/2. */
  httpVersion: string;
  /** What the TLS handshake settled, for https. */
  tls?: TlsInfo;
}

export interface TlsInfo {
  /** TLSv1.2, TLSv1.3 */
  version: string | null;
  /** OpenSSL's name of the cipher. */
  cipher: string;
  alpnProtocol: string | false | null;
  certificate: PeerCertificate;
}

export interface TlsOptions {
  /** SNI. Default: the name of the Host header or :authority, else of the URL; '' or an IP address sends none. */
  servername?: string;
  /** Authorities to trust (PEM); default: node's roots. */
  ca?: string | string[];
  /** Default true; false accepts any certificate. */
  rejectUnauthorized?: boolean;
  /**
   * The only ciphers to offer, in OpenSSL's syntax. TLS 1.3 suites (TLS_AES_...) are offered
   * as usual unless named here too, so with maxVersion 'TLSv1.2' this is the whole offer.
   */
  ciphers?: string;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  /** A client certificate and key (PEM), for listeners that ask for one. */
  cert?: string;
  key?: string;
}

export interface ProxyProtocolOption {
  version: 1 | 2;
  /** Default: this end of the connection. */
  source?: ProxyEndpoint;
  /** Default: the address connected to. */
  destination?: ProxyEndpoint;
}

export interface ConnectOptions {
  /** For https and wss URLs. */
  tls?: TlsOptions;
  /** Write a PROXY protocol header first, before the request or the TLS handshake. */
  proxyProtocol?: ProxyProtocolOption;
}

export interface RequestOptions extends ConnectOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string;
}

/**
 * An HTTP/1.1 request (http or https) with full control of the headers, `host` included
 * (fetch does not let a caller set Host, and virtual hosts are chosen by it). A refused TLS
 * handshake rejects.
 */
export async function sendRequest(url: string, options: RequestOptions = {}): Promise<HttpResponse> {
  const target = new URL(url);
  const host = options.headers?.host;
  const socket = await openConnection(target, typeof host === 'string' ? host : undefined, options, ['http/1.1']);
  const tls = tlsInfo(socket);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: unbracket(target.hostname),
        port: portOf(target),
        path: target.pathname + target.search,
        method: options.method ?? 'GET',
        headers: options.headers,
        createConnection: () => socket,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString(), httpVersion: response.httpVersion, tls });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

export interface Http2RequestOptions extends RequestOptions {
  /** Default: the URL's host and port. */
  authority?: string;
}

/**
 * One HTTP/2 request on a new connection: h2c with prior knowledge for http URLs, h2 by ALPN
 * for https. Response headers come without the pseudo-headers; the status is `status`.
 */
export async function sendHttp2(url: string, options: Http2RequestOptions = {}): Promise<HttpResponse> {
  const target = new URL(url);
  const authority = options.authority ?? target.host;
  const socket = await openConnection(target, authority, options, ['h2']);
  const tls = tlsInfo(socket);
  const session = http2Connect(target.origin, { createConnection: () => socket });
  try {
    return await new Promise<HttpResponse>((resolve, reject) => {
      session.once('error', reject);
      const headers = { ...options.headers, ':method': options.method ?? 'GET', ':path': target.pathname + target.search, ':authority': authority };
      const stream = session.request(headers, { endStream: options.body === undefined });
      stream.once('error', reject);
      stream.once('response', (responseHeaders: Http2Headers) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.once('end', () => {
          const plain = Object.fromEntries(Object.entries(responseHeaders).filter(([key]) => !key.startsWith(':'))) as IncomingHttpHeaders;
          resolve({ status: Number(responseHeaders[':status']), headers: plain, body: Buffer.concat(chunks).toString(), httpVersion: '2.0', tls });
        });
      });
      if (options.body !== undefined) stream.end(options.body);
    });
  } finally {
    session.close();
  }
}

export interface GrpcOptions {
  /** The call's :authority (grpc.default_authority); default: `address`. */
  authority?: string;
  metadata?: Record<string, string>;
  /** TLS trusting `ca`; SNI and the name checked are `servername`, else the authority's host. */
  tls?: { ca: string; servername?: string; cert?: string; key?: string };
  deadlineMs?: number;
}

/** Echo.Unary on the test backend's gRPC service at `address` (host:port). */
export async function grpcUnary(address: string, message: string, options: GrpcOptions = {}): Promise<EchoReply> {
  return grpcUnaryCall(address, echoService().unary, { message }, options);
}

/** A unary call of any method at `address` (host:port): its path and how its messages are written and read. */
export async function grpcUnaryCall<Request, Reply>(
  address: string,
  method: Pick<MethodDefinition<Request, Reply>, 'path' | 'requestSerialize' | 'responseDeserialize'>,
  request: Request,
  options: GrpcOptions = {},
): Promise<Reply> {
  const client = grpcClient(address, options);
  try {
    return await new Promise<Reply>((resolve, reject) => {
      client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, grpcMetadata(options), callOptions(options), (error, reply) => {
        if (error) reject(error);
        else if (reply === undefined) reject(new Error(`${method.path} answered nothing`));
        else resolve(reply);
      });
    });
  } finally {
    client.close();
  }
}

/**
 * Echo.Chat: sends each message and waits for its reply before sending the next, so the
 * call is a live stream both ways (a proxy that buffered either direction would stall it).
 */
export async function grpcChat(address: string, messages: string[], options: GrpcOptions = {}): Promise<EchoReply[]> {
  const { chat } = echoService();
  const client = grpcClient(address, options);
  const call = client.makeBidiStreamRequest(chat.path, chat.requestSerialize, chat.responseDeserialize, grpcMetadata(options), callOptions(options));
  const incoming = call[Symbol.asyncIterator]();
  const replies: EchoReply[] = [];
  try {
    for (const message of messages) {
      call.write({ message });
      const next = await incoming.next();
      if (next.done) throw new Error(`Chat ended after ${replies.length} of ${messages.length} replies`);
      replies.push(next.value as EchoReply);
    }
    call.end();
    // The call's status: a failure after the last reply rejects here.
    if (!(await incoming.next()).done) throw new Error('Chat sent more replies than messages');
    return replies;
  } finally {
    call.cancel();
    client.close();
  }
}

function grpcClient(address: string, options: GrpcOptions): GrpcClient {
  const channelOptions: ChannelOptions = {};
  if (options.authority !== undefined) channelOptions['grpc.default_authority'] = options.authority;
  if (!options.tls) return new GrpcClient(address, grpcCredentials.createInsecure(), channelOptions);
  const { ca, servername, cert, key } = options.tls;
  const name = servername ?? nameOf(options.authority ?? address);
  if (name !== undefined) channelOptions['grpc.ssl_target_name_override'] = name;
  const credentials = grpcCredentials.createSsl(Buffer.from(ca), key ? Buffer.from(key) : null, cert ? Buffer.from(cert) : null);
  return new GrpcClient(address, credentials, channelOptions);
}

function grpcMetadata(options: GrpcOptions): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  return metadata;
}

function callOptions(options: GrpcOptions): { deadline?: Date } {
  return options.deadlineMs === undefined ? {} : { deadline: new Date(Date.now() + options.deadlineMs) };
}

export interface WebSocketOptions extends ConnectOptions {
  /** Handshake headers; `host` names the virtual host. */
  headers?: Record<string, string>;
}

/**
 * Opens a websocket (ws or wss URL), sends each message and waits for a reply before the next,
 * then closes; resolves with the replies as text. An upgrade answered with an HTTP status
 * instead rejects with that status in the message.
 */
export async function websocketExchange(url: string, messages: string[], options: WebSocketOptions = {}): Promise<string[]> {
  const target = new URL(url);
  const socket = await openConnection(target, options.headers?.host, options, ['http/1.1']);
  const websocket = new WebSocket(url, { headers: options.headers, createConnection: () => socket });
  return new Promise((resolve, reject) => {
    const replies: string[] = [];
    const sendNext = (): void => {
      const message = messages[replies.length];
      if (message === undefined) websocket.close(1000);
      else websocket.send(message);
    };
    websocket.on('open', sendNext);
    websocket.on('message', (data) => {
      replies.push(Buffer.isBuffer(data) ? data.toString() : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString());
      sendNext();
    });
    websocket.on('unexpected-response', (request, response) => {
      request.destroy();
      reject(new Error(`websocket upgrade answered ${response.statusCode ?? 0} instead of 101`));
    });
    websocket.on('error', reject);
    websocket.on('close', (code) => {
      if (replies.length === messages.length) resolve(replies);
      else reject(new Error(`websocket closed (${code}) after ${replies.length} of ${messages.length} replies`));
    });
  });
}

/**
 * A connected socket to the URL's address: TCP, then the PROXY header if asked, then TLS for
 * https/wss. Each step waits for the one before, so the header is surely the first bytes and
 * the TLS handshake's failure is this promise's.
 */
async function openConnection(target: URL, virtualHost: string | undefined, options: ConnectOptions, alpn: string[]): Promise<Socket | TLSSocket> {
  const host = unbracket(target.hostname);
  const raw = await new Promise<Socket>((resolve, reject) => {
    const socket = tcpConnect({ host, port: portOf(target) });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
  if (options.proxyProtocol) {
    const { version, source, destination } = options.proxyProtocol;
    const header = encodeProxyHeader({
      version,
      source: source ?? { address: raw.localAddress ?? '', port: raw.localPort ?? 0 },
      destination: destination ?? { address: raw.remoteAddress ?? '', port: raw.remotePort ?? 0 },
    });
    await new Promise<void>((resolve, reject) => raw.write(header, (error) => { if (error) reject(error); else resolve(); }));
  }
  if (target.protocol !== 'https:' && target.protocol !== 'wss:') return raw;
  const tls = options.tls ?? {};
  return new Promise<TLSSocket>((resolve, reject) => {
    const socket = tlsConnect(
      {
        socket: raw,
        host, // the name checked against the certificate when there is no servername
        servername: tls.servername ?? nameOf(virtualHost ?? host),
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        rejectUnauthorized: tls.rejectUnauthorized ?? true,
        ciphers: tls.ciphers,
        minVersion: tls.minVersion,
        maxVersion: tls.maxVersion,
        ALPNProtocols: alpn,
      },
      () => {
        socket.off('error', onError);
        resolve(socket);
      },
    );
    const onError = (error: Error): void => {
      raw.destroy();
      reject(error);
    };
    socket.once('error', onError);
  });
}

function tlsInfo(socket: Socket | TLSSocket): TlsInfo | undefined {
  if (!('encrypted' in socket)) return undefined;
  return { version: socket.getProtocol(), cipher: socket.getCipher().name, alpnProtocol: socket.alpnProtocol, certificate: socket.getPeerCertificate() };
}

/** The name in a Host header or authority (no port); undefined for an IP address, which SNI cannot carry. */
function nameOf(authority: string): string | undefined {
  const name = authority.startsWith('[') ? authority.slice(1, authority.indexOf(']')) : authority.replace(/:\d+$/, '');
  return isIP(name) === 0 ? name : undefined;
}

function unbracket(hostname: string): string {
  return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
}

function portOf(target: URL): number {
  if (target.port !== '') return Number(target.port);
  return target.protocol === 'https:' || target.protocol === 'wss:' ? 443 : 80;
}
