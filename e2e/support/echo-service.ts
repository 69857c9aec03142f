// The test backend's gRPC echo service (echo.proto), shared by the backend that serves it
// and the clients in http.ts that call it.
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

export interface EchoRequest {
  message: string;
}

export interface EchoReply {
  backend: string;
  message: string;
  authority: string;
  metadata: Record<string, string>;
}

export interface EchoService {
  /** For Server.addService. */
  definition: ServiceDefinition;
  unary: MethodDefinition<EchoRequest, EchoReply>;
  chat: MethodDefinition<EchoRequest, EchoReply>;
}

let loaded: EchoService | undefined;

/** The service, loaded from echo.proto on first use. */
export function echoService(): EchoService {
  if (!loaded) {
    // defaults: a reply's empty fields and maps decode as '' and {}, as EchoReply says.
    const packageDefinition = loadSync(fileURLToPath(new URL('./echo.proto', import.meta.url)), { keepCase: true, defaults: true });
    // proto-loader types every message as `object`; echo.proto gives them the shapes above.
    const definition = packageDefinition['portico.test.Echo'] as unknown as ServiceDefinition & Record<'Unary' | 'Chat', MethodDefinition<EchoRequest, EchoReply>>;
    loaded = { definition, unary: definition.Unary, chat: definition.Chat };
  }
  return loaded;
}
