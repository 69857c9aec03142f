// Calls of the gRPC service of the Gateway API's echo server (echo-basic with GRPC_ECHO_SERVER,
// service gateway_api_conformance.echo_basic.grpcecho.GrpcEcho): the request is empty, the answer
// says which pod answered, the method it took and the :authority it got. Only the answer's fields
// a test reads are declared, by their numbers in the echo server's protocol.
import protobuf from 'protobufjs';
import { grpcUnaryCall, type GrpcOptions } from './http.ts';

export const grpcEchoService = 'gateway_api_conformance.echo_basic.grpcecho.GrpcEcho';

const root = new protobuf.Root().define('echo')
  .add(new protobuf.Type('Header').add(new protobuf.Field('key', 1, 'string')).add(new protobuf.Field('value', 2, 'string')))
  .add(new protobuf.Type('Context').add(new protobuf.Field('namespace', 1, 'string')).add(new protobuf.Field('pod', 4, 'string')))
  .add(new protobuf.Type('Assertions')
    .add(new protobuf.Field('fullyQualifiedMethod', 1, 'string'))
    .add(new protobuf.Field('headers', 2, 'Header', 'repeated'))
    .add(new protobuf.Field('authority', 3, 'string'))
    .add(new protobuf.Field('context', 4, 'Context')))
  .add(new protobuf.Type('EchoResponse').add(new protobuf.Field('assertions', 1, 'Assertions')));
const echoResponse = root.lookupType('EchoResponse');

export interface GrpcEchoAnswer {
  fullyQualifiedMethod: string;
  authority: string;
  headers: Array<{ key: string; value: string }>;
  context: { namespace: string; pod: string };
}

/** GrpcEcho/<method> at `address` (host:port). */
export async function callGrpcEcho(address: string, method: string, options: GrpcOptions = {}): Promise<GrpcEchoAnswer> {
  const bytes = (buffer: Buffer) => buffer;
  const reply = await grpcUnaryCall(address, { path: `/${grpcEchoService}/${method}`, requestSerialize: bytes, responseDeserialize: bytes }, Buffer.alloc(0), options);
  const decoded = echoResponse.toObject(echoResponse.decode(reply), { defaults: true }) as { assertions?: Partial<GrpcEchoAnswer> };
  const assertions = decoded.assertions ?? {};
  return {
    fullyQualifiedMethod: assertions.fullyQualifiedMethod ?? '',
    authority: assertions.authority ?? '',
    headers: assertions.headers ?? [],
    context: { namespace: assertions.context?.namespace ?? '', pod: assertions.context?.pod ?? '' },
  };
}
