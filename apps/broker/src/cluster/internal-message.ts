/**
 * Eddy's internal node-to-node messages and their frame. Kafka frames every exchange as a request
 * with a header; so does this, under one api key of Eddy's own (`eddyInternalApiKey`, outside Kafka's
 * range), with a body of one JSON document followed by raw bytes (record batches, exactly as stored).
 * Every message is one-way: the Raft quorum and controller answers are asynchronous messages whose
 * replies come back as messages of their own, as in the simulator, so no response frame is written
 * for them. Replication is not here: followers send Kafka's own Fetch (`replica-fetch-wire.ts`).
 *
 * The layout, after the 4-byte size prefix: int16 api key (32000), int16 version (0), int32
 * correlation id (0), int16-length client id (`eddy-node-<id>`), then int32 JSON length, the JSON
 * (UTF-8) and the record bytes up to the frame's end.
 *
 * Owns: encoding, decoding and shape checks of these frames. Must never trust a frame: a malformed one
 * is refused with an error naming what is wrong, and nothing it holds reaches the node.
 */
import type { controller } from "@eddy/core";
import type { QuorumMessage } from "@eddy/node";

/** The api key of Eddy's internal messages: above every Kafka api key, inside int16. */
export const eddyInternalApiKey = 32_000;
export const eddyInternalVersion = 0;
/** Bytes of JSON one internal message may hold (a Raft append of 64 metadata entries, a snapshot). */
export const internalJsonBytesMax = 16 << 20;

export type InternalMessage =
  | { readonly kind: "quorum"; readonly from: number; readonly message: QuorumMessage }
  /**
   * A request for the active controller that Kafka would forward in an Envelope (topic, partition,
   * election, ACL, config and SCRAM changes); a broker's own requests are Kafka's (`controller-client.ts`).
   */
  | {
      readonly kind: "controllerRequest";
      readonly from: number;
      readonly requestId: number;
      readonly input: controller.Input;
      /**
       * Where a broker-only node takes the answer (its client listener): the controller knows the
       * voters' addresses, but a broker's only once its registration has committed.
       */
      readonly replyTo?: { readonly host: string; readonly port: number };
    }
  /** The active controller's newest committed image, pushed to a broker-only node (checked there with its schema). */
  | { readonly kind: "metadataImage"; readonly from: number; readonly image: unknown }
  /** The controller's answer; `committed` false means it was not applied (the node is not the controller). */
  | {
      readonly kind: "controllerAnswer";
      readonly from: number;
      readonly requestId: number;
      readonly committed: boolean;
      readonly response: controller.Response | null;
      /** The active controller as the answering node knows it, -1 when unknown. */
      readonly leaderId: number;
    };

const kinds = new Set(["quorum", "controllerRequest", "controllerAnswer", "metadataImage"]);
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Whether a request frame (size prefix removed) is an internal message, from its first two bytes. */
export function isInternalFrame(frame: Uint8Array): boolean {
  return frame.length >= 2 && ((frame[0]! << 8) | frame[1]!) === eddyInternalApiKey;
}

/** The whole frame, size prefix included, ready for the socket. */
export function encodeInternalFrame(
  fromNodeId: number,
  message: InternalMessage,
  records: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const clientId = encoder.encode(`eddy-node-${fromNodeId}`);
  const json = encoder.encode(JSON.stringify(message));
  if (json.length > internalJsonBytesMax) {
    throw new Error(
      `internal ${message.kind} message of ${json.length} bytes exceeds ${internalJsonBytesMax}`,
    );
  }
  const size = 2 + 2 + 4 + 2 + clientId.length + 4 + json.length + records.length;
  const frame = new Uint8Array(4 + size);
  const view = new DataView(frame.buffer);
  let at = 0;
  view.setInt32(at, size);
  at += 4;
  view.setInt16(at, eddyInternalApiKey);
  view.setInt16(at + 2, eddyInternalVersion);
  view.setInt32(at + 4, 0);
  view.setInt16(at + 8, clientId.length);
  at += 10;
  frame.set(clientId, at);
  at += clientId.length;
  view.setInt32(at, json.length);
  at += 4;
  frame.set(json, at);
  at += json.length;
  frame.set(records, at);
  return frame;
}

export class InternalFrameError extends Error {
  override readonly name = "InternalFrameError";
}

/** Decodes a request frame (size prefix removed); throws `InternalFrameError` naming what is wrong. */
export function decodeInternalFrame(frame: Uint8Array): {
  readonly message: InternalMessage;
  readonly records: Uint8Array;
} {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const fail = (why: string): never => {
    throw new InternalFrameError(`internal message: ${why}`);
  };
  if (frame.length < 10) fail(`frame of ${frame.length} bytes is shorter than its header`);
  if (view.getInt16(0) !== eddyInternalApiKey)
    fail(`api key ${view.getInt16(0)} is not ${eddyInternalApiKey}`);
  if (view.getInt16(2) !== eddyInternalVersion) fail(`version ${view.getInt16(2)} is not served (v0 only)`);
  const clientIdBytes = view.getInt16(8);
  let at = 10 + Math.max(0, clientIdBytes);
  if (at + 4 > frame.length) fail("the frame ends inside its header");
  const jsonBytes = view.getInt32(at);
  at += 4;
  if (jsonBytes < 2 || jsonBytes > internalJsonBytesMax || at + jsonBytes > frame.length) {
    fail(`JSON length ${jsonBytes} does not fit the frame of ${frame.length} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(frame.subarray(at, at + jsonBytes)));
  } catch (error) {
    fail(`the JSON does not parse: ${(error as Error).message}`);
  }
  const message = checkShape(parsed);
  if (typeof message === "string") fail(message);
  return { message: message as InternalMessage, records: frame.subarray(at + jsonBytes) };
}

/** The top-level shape; the core's own invariants check what the messages say. */
function checkShape(value: unknown): InternalMessage | string {
  if (typeof value !== "object" || value === null) return "the JSON is not an object";
  const m = value as Record<string, unknown>;
  if (typeof m.kind !== "string" || !kinds.has(m.kind)) return `unknown kind ${JSON.stringify(m.kind)}`;
  if (!Number.isInteger(m.from) || (m.from as number) < 0) return `field from: not a node id (${m.from})`;
  switch (m.kind) {
    case "quorum":
      if (typeof m.message !== "object" || m.message === null)
        return `${m.kind}: field message is not an object`;
      if (typeof (m.message as { type?: unknown }).type !== "string")
        return `${m.kind}: field message.type is not a string`;
      return value as InternalMessage;
    case "metadataImage":
      if (typeof m.image !== "object" || m.image === null)
        return "metadataImage: field image is not an object";
      return value as InternalMessage;
    case "controllerRequest":
      if (!Number.isInteger(m.requestId)) return "controllerRequest: field requestId is not an integer";
      if (typeof m.input !== "object" || m.input === null)
        return "controllerRequest: field input is not an object";
      if (m.replyTo !== undefined && !isAddress(m.replyTo))
        return "controllerRequest: field replyTo is not a host and port";
      return value as InternalMessage;
    default:
      if (!Number.isInteger(m.requestId)) return "controllerAnswer: field requestId is not an integer";
      if (typeof m.committed !== "boolean") return "controllerAnswer: field committed is not a boolean";
      if (!Number.isInteger(m.leaderId)) return "controllerAnswer: field leaderId is not an integer";
      return value as InternalMessage;
  }
}

function isAddress(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const { host, port } = value as { host?: unknown; port?: unknown };
  return (
    typeof host === "string" &&
    host.length > 0 &&
    Number.isInteger(port) &&
    (port as number) >= 1 &&
    (port as number) <= 65_535
  );
}
