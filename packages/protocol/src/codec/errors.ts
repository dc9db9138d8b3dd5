// Typed errors of the message codec.
//
// Owns DecodeError (malformed or unsupported bytes) and EncodeError (a value that cannot be written at the
// requested version). Every failure of the codec surfaces as one of these two classes, so a broker can turn
// bad input into a clean connection close or error response; it must never let a RangeError or TypeError
// escape from the generated code.

import type { RequestHeader } from "../generated/request-header.ts";

/** Why decoding failed; a closed set so callers can switch on it. */
export type DecodeErrorReason =
  | "truncated"
  | "negative-length"
  | "length-exceeds-remaining"
  | "unexpected-null"
  | "varint-too-long"
  | "tagged-field-size-mismatch"
  | "invalid-value"
  | "unknown-api-key"
  | "unsupported-version";

/** Bytes that do not decode as the expected message. `path` names the field, dotted from the message root. */
export class DecodeError extends Error {
  override readonly name = "DecodeError";
  readonly reason: DecodeErrorReason;
  readonly detail: string;
  /** Dotted field path from the message root, e.g. `topics.partitions.records`; "" when not inside a field. */
  path: string;
  /** Api key of the message being decoded, or -1 for headers and data structs. */
  apiKey: number;
  /** Message name, e.g. `ProduceRequest`; "" until the message-level decoder annotates the error. */
  apiName: string;
  /** Version being decoded, or -1 when unknown. */
  version: number;
  /** Set by `decodeRequestBody` when the header decoded but the body did not, so the broker can still reply. */
  requestHeader: RequestHeader | undefined = undefined;

  constructor(reason: DecodeErrorReason, detail: string, apiKey = -1, apiName = "", version = -1, path = "") {
    super(detail);
    this.reason = reason;
    this.detail = detail;
    this.apiKey = apiKey;
    this.apiName = apiName;
    this.version = version;
    this.path = path;
    this.refresh();
  }

  /** Rebuilds `message` after the error was annotated with a path or message identity while unwinding. */
  refresh(): void {
    this.message = describe(this.reason, this.detail, this.apiName, this.version, this.path);
  }
}

/** Why encoding failed. */
export type EncodeErrorReason =
  | "field-not-in-version"
  | "null-not-allowed"
  | "too-long"
  | "invalid-value"
  | "unknown-api-key"
  | "unsupported-version";

/** A value that cannot be encoded at the requested version. */
export class EncodeError extends Error {
  override readonly name = "EncodeError";
  readonly reason: EncodeErrorReason;
  readonly detail: string;
  path: string;
  apiKey: number;
  apiName: string;
  version: number;

  constructor(reason: EncodeErrorReason, detail: string, apiKey = -1, apiName = "", version = -1, path = "") {
    super(detail);
    this.reason = reason;
    this.detail = detail;
    this.apiKey = apiKey;
    this.apiName = apiName;
    this.version = version;
    this.path = path;
    this.refresh();
  }

  /** Rebuilds `message` after the error was annotated with a path or message identity while unwinding. */
  refresh(): void {
    this.message = describe(this.reason, this.detail, this.apiName, this.version, this.path);
  }
}

/**
 * Prefixes `field` to the path of a codec error as it unwinds through a struct decoder or encoder.
 * Errors of other classes pass through untouched: they are bugs, and hiding them would hide the bug.
 */
export function withPath(error: unknown, field: string): unknown {
  if (error instanceof DecodeError || error instanceof EncodeError) {
    error.path = error.path === "" ? field : `${field}.${error.path}`;
    error.refresh();
  }
  return error;
}

/** Stamps the message identity on a codec error once it reaches the message-level function. */
export function withMessage(error: unknown, apiKey: number, apiName: string, version: number): unknown {
  if (error instanceof DecodeError || error instanceof EncodeError) {
    error.apiKey = apiKey;
    error.apiName = apiName;
    error.version = version;
    error.refresh();
  }
  return error;
}

function describe(reason: string, detail: string, apiName: string, version: number, path: string): string {
  const where = apiName === "" ? "" : ` in ${apiName} v${version}`;
  const field = path === "" ? "" : ` at ${path}`;
  return `${reason}${where}${field}: ${detail}`;
}
