import * as grpc from '@grpc/grpc-js';
import proto from '@temporalio/proto';

// A local stand-in for Temporal's frontend: a real gRPC server on 127.0.0.1 serving the subset of
// temporal.api.workflowservice.v1.WorkflowService that CBP calls, with the SDK's own protobuf
// messages. It records every request (so tests check what the real @temporalio/client sent) and
// answers from handlers the test sets. The Stripe adapter's test/fake-stripe.ts in spirit.

const v1 = proto.temporal.api.workflowservice.v1;

export const fakeMethods = [
  'GetSystemInfo',
  'StartWorkflowExecution',
  'DescribeWorkflowExecution',
  'ListWorkflowExecutions',
  'CountWorkflowExecutions',
  'GetWorkflowExecutionHistory',
  'RequestCancelWorkflowExecution',
  'ResetWorkflowExecution',
] as const;
export type FakeMethod = (typeof fakeMethods)[number];

interface MessageType {
  encode(message: object): { finish(): Uint8Array };
  decode(bytes: Uint8Array): object;
  fromObject(object: Record<string, unknown>): object;
  toObject(message: object, options?: object): Record<string, unknown>;
}

const messageType = (name: string): MessageType => (v1 as unknown as Record<string, MessageType>)[name] as MessageType;

/** An error the server answers with (a gRPC status and, for AlreadyStarted, Temporal's details). */
export class FakeGrpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
    readonly details?: { typeUrl: string; value: Uint8Array },
  ) {
    super(message);
  }
}

export type Handler = (request: Record<string, unknown>) => Record<string, unknown> | Promise<Record<string, unknown>>;

export interface FakeTemporal {
  address: string;
  /** Requests received, decoded to plain objects (longs as numbers, enums as names, bytes as base64). */
  requests: { method: FakeMethod; request: Record<string, unknown> }[];
  requestsOf(method: FakeMethod): Record<string, unknown>[];
  handle(method: FakeMethod, handler: Handler): void;
  close(): Promise<void>;
}

const asObject = { longs: Number, enums: String, bytes: String, defaults: false } as const;

export async function startFakeTemporal(): Promise<FakeTemporal> {
  const handlers = new Map<FakeMethod, Handler>();
  const requests: FakeTemporal['requests'] = [];
  handlers.set('GetSystemInfo', () => ({ serverVersion: '1.27.0-fake', capabilities: { signalAndQueryHeader: true, internalErrorDifferentiation: true, sdkMetadata: true } }));

  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of fakeMethods) {
    const req = messageType(`${method}Request`);
    const res = messageType(`${method}Response`);
    definition[method] = {
      path: `/temporal.api.workflowservice.v1.WorkflowService/${method}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (m: object) => Buffer.from(req.encode(m).finish()),
      requestDeserialize: (b: Buffer) => req.decode(b),
      responseSerialize: (m: object) => Buffer.from(res.encode(m).finish()),
      responseDeserialize: (b: Buffer) => res.decode(b),
    };
    implementation[method] = (call: grpc.ServerUnaryCall<object, object>, callback: grpc.sendUnaryData<object>) => {
      const request = req.toObject(call.request, asObject);
      requests.push({ method, request });
      const handler = handlers.get(method);
      if (!handler) {
        callback({ code: grpc.status.UNIMPLEMENTED, details: `fake Temporal: no answer set for ${method}` });
        return;
      }
      Promise.resolve()
        .then(() => handler(request))
        .then(
          (answer) => callback(null, res.fromObject(answer)),
          (err: unknown) => {
            if (err instanceof FakeGrpcError) {
              const metadata = new grpc.Metadata();
              if (err.details) {
                const status = proto.google.rpc.Status.encode({ code: err.code, message: err.message, details: [err.details] }).finish();
                metadata.set('grpc-status-details-bin', Buffer.from(status));
              }
              callback({ code: err.code, details: err.message, metadata });
            } else callback({ code: grpc.status.INTERNAL, details: err instanceof Error ? err.message : String(err) });
          },
        );
    };
  }

  const server = new grpc.Server();
  server.addService(definition as grpc.ServiceDefinition, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return {
    address: `127.0.0.1:${port}`,
    requests,
    requestsOf: (method) => requests.filter((r) => r.method === method).map((r) => r.request),
    handle: (method, handler) => handlers.set(method, handler),
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** The `details` of Temporal's WorkflowExecutionAlreadyStarted failure (how the client recognises it). */
export function alreadyStartedDetails(runId: string): { typeUrl: string; value: Uint8Array } {
  const failure = proto.temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure;
  return {
    typeUrl: 'type.googleapis.com/temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
    value: failure.encode({ startRequestId: 'earlier', runId }).finish(),
  };
}
