// The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2) that a client
// writes before anything else on a connection, so that a listener with Envoy's
// proxy_protocol filter takes the addresses in it for the client's. Written here rather than
// taken from npm: the header for TCP over IPv4 or IPv6 is a few lines, less than a dependency
// to vet and keep current.
import { isIP } from 'node:net';

export interface ProxyEndpoint {
  address: string;
  port: number;
}

export interface ProxyHeader {
  version: 1 | 2;
  source: ProxyEndpoint;
  destination: ProxyEndpoint;
}

/** The 12 bytes that open every version 2 header. */
export const proxyV2Signature = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** The header for a TCP connection from `source` to `destination` (both IPv4 or both IPv6). */
export function encodeProxyHeader(header: ProxyHeader): Buffer {
  const family = isIP(header.source.address);
  if (family === 0 || family !== isIP(header.destination.address)) {
    throw new Error(`PROXY header needs two addresses of one IP family, got ${header.source.address} and ${header.destination.address}`);
  }
  if (header.version === 1) {
    const { source, destination } = header;
    return Buffer.from(`PROXY TCP${family} ${source.address} ${destination.address} ${source.port} ${destination.port}\r\n`, 'latin1');
  }
  const addresses = Buffer.concat([addressBytes(header.source.address), addressBytes(header.destination.address)]);
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(header.source.port, 0);
  ports.writeUInt16BE(header.destination.port, 2);
  const fixed = Buffer.alloc(4);
  fixed[0] = 0x21; // version 2, command PROXY
  fixed[1] = family === 4 ? 0x11 : 0x21; // AF_INET or AF_INET6, over STREAM (TCP)
  fixed.writeUInt16BE(addresses.length + ports.length, 2);
  return Buffer.concat([proxyV2Signature, fixed, addresses, ports]);
}

/** An address in network byte order: 4 bytes for IPv4, 16 for IPv6. */
function addressBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split('.').map(Number));
  // An IPv6 address may end in dotted IPv4 (::ffff:1.2.3.4); turn that into two groups first.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  let text = address;
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${address.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const bytes = Buffer.alloc(16);
  [...headGroups, ...zeros, ...tailGroups].forEach((group, index) => {
    bytes.writeUInt16BE(parseInt(group, 16), index * 2);
  });
  return bytes;
}
