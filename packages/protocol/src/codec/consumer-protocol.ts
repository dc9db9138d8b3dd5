// The "consumer" embedded protocol: the bytes a consumer puts in JoinGroup protocol metadata (a
// subscription) and a leader puts in SyncGroup assignments.
//
// Owns the INT16 version prefix around the generated ConsumerProtocolSubscription/Assignment codecs. A
// version newer than we know is read with our newest version, as Kafka does: these structs only ever grow
// at the end, so the fields we know are still where we expect them. Must never throw anything but
// DecodeError/EncodeError.

import {
  type ConsumerProtocolAssignment,
  type ConsumerProtocolAssignmentInput,
  decodeConsumerProtocolAssignment,
  encodeConsumerProtocolAssignment,
} from "../generated/consumer-protocol-assignment.ts";
import {
  type ConsumerProtocolSubscription,
  type ConsumerProtocolSubscriptionInput,
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolSubscription,
} from "../generated/consumer-protocol-subscription.ts";
import { DecodeError } from "./errors.ts";
import { Reader } from "./reader.ts";
import { Writer } from "./writer.ts";

/** Highest version of both consumer protocol structs in the spec snapshot. */
export const consumerProtocolVersionMax = 3;

function readVersion(r: Reader, what: string): number {
  const version = r.readInt16();
  if (version < 0)
    throw new DecodeError("unsupported-version", `${what} version ${version}`, -1, what, version);
  return Math.min(version, consumerProtocolVersionMax);
}

/** Decodes JoinGroup protocol metadata of the "consumer" protocol type. */
export function decodeSubscriptionBytes(bytes: Uint8Array): {
  readonly version: number;
  readonly subscription: ConsumerProtocolSubscription;
} {
  const r = new Reader(bytes);
  const version = readVersion(r, "ConsumerProtocolSubscription");
  return { version, subscription: decodeConsumerProtocolSubscription(r, version) };
}

/** Decodes a SyncGroup assignment of the "consumer" protocol type. An empty assignment decodes as none. */
export function decodeAssignmentBytes(bytes: Uint8Array): {
  readonly version: number;
  readonly assignment: ConsumerProtocolAssignment;
} {
  const r = new Reader(bytes);
  const version = readVersion(r, "ConsumerProtocolAssignment");
  return { version, assignment: decodeConsumerProtocolAssignment(r, version) };
}

/** Encodes a subscription with its version prefix. */
export function encodeSubscriptionBytes(
  value: ConsumerProtocolSubscriptionInput,
  version: number,
): Uint8Array {
  const w = new Writer(64);
  w.writeInt16(version);
  encodeConsumerProtocolSubscription(w, value, version);
  return w.finish();
}

/** Encodes an assignment with its version prefix. */
export function encodeAssignmentBytes(value: ConsumerProtocolAssignmentInput, version: number): Uint8Array {
  const w = new Writer(64);
  w.writeInt16(version);
  encodeConsumerProtocolAssignment(w, value, version);
  return w.finish();
}
