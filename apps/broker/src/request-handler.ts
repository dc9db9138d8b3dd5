/**
 * Turns a request frame into a response: decodes the header, refuses unknown keys and versions the
 * way Kafka does, decodes the body, runs the API's handler and encodes its answer with the right
 * response header. Malformed bytes close only the offending connection, with a log line naming the
 * API, version and field; they never reach a handler and never touch stored data.
 */
import {
  ApiKey,
  DecodeError,
  decodeRequestBody,
  ErrorCode,
  encodeResponseFrame,
  encodeResponseFrameParts,
  Reader,
  readRequestHeader,
  Writer,
} from "@eddy/protocol";
import { meterRequest } from "./admin/broker-metrics.ts";
import { servedApiVersions } from "./apis/18-api-versions.ts";
import type { RequestContext } from "./apis/api.ts";
import { apiByKey, apiRegistry } from "./apis/registry.ts";
import { isInternalFrame } from "./cluster/internal-message.ts";
import { CloseConnection, type ConnectionInfo, type FrameHandler, type ResponseBytes } from "./net/server.ts";
import type { BrokerNode } from "./node/broker-node.ts";
import { hostOf, principalOf } from "./security/authorizer-principal.ts";
import { interBrokerRefusal } from "./security/inter-broker-authorization.ts";

/**
 * Record sets at least this long leave in a fetch response as the stored buffers themselves: the
 * socket takes them without a copy into the response. Smaller ones are cheaper copied than sent
 * as a separate write.
 */
const fetchZeroCopyBytesMin = 16 * 1024;
/** Initial size of a fetch response's own writer: headers and small fields, the records are referenced. */
const fetchWriterBytes = 4096;

export class RequestHandler implements FrameHandler {
  constructor(
    private readonly node: BrokerNode,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Only Produce frames are reused once answered: the partition's log writes the batch during the
   * request and keeps none of its bytes (the hot tail copies small batches into its slabs and does not
   * cache large ones), and the request's metrics read it before the response is made. Other APIs
   * (internal quorum messages among them) are not audited for what they keep, so their frames are not.
   */
  framesReusable(frame: Uint8Array): boolean {
    return frame.length >= 2 && frame[0] === 0 && frame[1] === ApiKey.Produce;
  }

  handle(
    frame: Uint8Array,
    connection: ConnectionInfo,
  ): ResponseBytes | null | Promise<ResponseBytes | null> {
    // Eddy's internal one-way messages between the nodes of a cluster: no response is written.
    if (isInternalFrame(frame)) {
      const refusal = interBrokerRefusal(this.node.config, this.node.image, connection);
      if (refusal !== null) throw new CloseConnection(refusal);
      this.node.onInternalFrame(frame);
      return null;
    }
    const startedMs = performance.now();
    const reader = new Reader(frame);
    let header: ReturnType<typeof readRequestHeader>;
    try {
      header = readRequestHeader(reader);
    } catch (error) {
      throw new CloseConnection(`unreadable request header: ${(error as Error).message}`);
    }
    const { requestApiKey: key, requestApiVersion: version, correlationId } = header;
    // The test-only fault hook (cluster/peer-cuts.ts) cut this peer off inbound: close, answer nothing.
    const cutFrom = this.node.cluster?.faults.refusedClient(header.clientId ?? null);
    if (cutFrom != null) throw new CloseConnection(`node ${cutFrom} is cut off here (fault hook)`);
    const api = apiByKey.get(key);
    if (api === undefined) {
      throw new CloseConnection(
        `unsupported api key ${key} (version ${version}, client ${header.clientId ?? "-"})`,
      );
    }
    if (version < api.versionMin || version > api.versionMax) {
      if (key === ApiKey.ApiVersions) {
        // KIP-511: answer with the v0 layout so any client can read the error and our ranges.
        return encode(ApiKey.ApiVersions, 0, correlationId, {
          errorCode: ErrorCode.UNSUPPORTED_VERSION,
          apiKeys: servedApiVersions(apiRegistry.filter((api) => api.controllerOnly !== true)),
        });
      }
      throw new CloseConnection(
        `${api.name} v${version} is not supported (served: v${api.versionMin}-v${api.versionMax})`,
      );
    }
    let request: ReturnType<typeof decodeRequestBody>;
    try {
      request = decodeRequestBody(reader, header);
    } catch (error) {
      if (error instanceof DecodeError) {
        throw new CloseConnection(
          `malformed ${api.name} v${version} request${error.path ? ` at ${error.path}` : ""}: ${error.detail}`,
        );
      }
      throw error;
    }
    const ctx: RequestContext = {
      node: this.node,
      header,
      apiVersion: version,
      connection,
      principal: principalOf(connection),
      host: hostOf(connection),
      apis: apiRegistry,
    };
    const result = api.handle(ctx, request.body);
    const finish = (body: unknown): ResponseBytes | null => {
      const response = body === null ? null : encode(key as ApiKey, version, correlationId, body);
      // The one metrics call per request (admin/broker-metrics.ts): count, latency, fetched bytes.
      meterRequest(this.node, key, api.name, startedMs, body);
      return response;
    };
    if (result instanceof Promise) {
      return result.then(finish, (error: unknown) => {
        this.log(`${api.name} v${version} failed: ${(error as Error)?.stack ?? String(error)}`);
        throw new CloseConnection(`${api.name} handler failed`);
      });
    }
    return finish(result);
  }
}

/**
 * One writer for every response: it grows to the largest response once instead of doubling for each,
 * and each frame is copied out exactly once. Safe because encoding is synchronous.
 */
const sharedWriterBytes = 1 << 20;
let sharedWriter = new Writer(sharedWriterBytes);
/** A writer that grew past this is replaced, so one huge response does not pin its memory forever. */
const sharedWriterBytesMax = 64 << 20;

function encode(key: ApiKey, version: number, correlationId: number, body: unknown): ResponseBytes {
  if (key === ApiKey.Fetch) {
    // A writer of its own, because its parts are sent after this returns (the socket may take them
    // later); the records are referenced, and stored batches never change once appended.
    const own = new Writer(fetchWriterBytes, { zeroCopyBytesMin: fetchZeroCopyBytesMin });
    // biome-ignore lint/suspicious/noExplicitAny: the body type is tied to `key` by the registry.
    return encodeResponseFrameParts(own, ApiKey.Fetch, version, correlationId, body as any);
  }
  if (sharedWriter.bytes.length > sharedWriterBytesMax) sharedWriter = new Writer(sharedWriterBytes);
  sharedWriter.reset();
  // biome-ignore lint/suspicious/noExplicitAny: the body type is tied to `key` by the registry.
  return encodeResponseFrame(sharedWriter, key, version, correlationId, body as any).slice();
}
