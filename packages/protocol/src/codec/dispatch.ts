// Request and response framing around the generated bodies: headers, dispatch by api key, size prefixes.
//
// Owns the glue a broker needs: read a frame's header, dispatch on its api key, decode the body, and write a
// response with the right header. The header-version rules themselves (request header v2 for flexible request
// versions, v1 otherwise, v0 only for ControlledShutdown v0; response header v1 for flexible versions, v0
// otherwise and ALWAYS v0 for ApiVersions) live in the generated api table; this file only applies them to
// versions outside an api's range. Must never do I/O: frames come in and go out as bytes.

import {
  type AnyApiCodec,
  type ApiCodecOf,
  type ApiKey,
  apiByKey,
  type RequestByKey,
  type RequestInputByKey,
  type ResponseByKey,
  type ResponseInputByKey,
} from "../generated/api-table.ts";
import { decodeRequestHeader, encodeRequestHeader, type RequestHeader } from "../generated/request-header.ts";
import { decodeResponseHeader, encodeResponseHeader } from "../generated/response-header.ts";
import { DecodeError, EncodeError, withMessage } from "./errors.ts";
import { Reader } from "./reader.ts";
import type { Writer } from "./writer.ts";

const frameSizeBytes = 4;

/**
 * Request header version for an api key and version. Versions outside the supported range take the
 * flexibility of the nearest supported version, so a newer client's ApiVersions request still parses
 * (the broker must answer it with UNSUPPORTED_VERSION). Unknown keys get v1.
 */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  const api = apiByKey(apiKey);
  if (api === undefined) return 1;
  return api.requestHeaderVersion(clampVersion(api, apiVersion));
}

/** Response header version for an api key and version (always 0 for ApiVersions). */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  const api = apiByKey(apiKey);
  if (api === undefined) return 0;
  return api.responseHeaderVersion(clampVersion(api, apiVersion));
}

function clampVersion(api: AnyApiCodec, version: number): number {
  if (version < api.minVersion) return api.minVersion;
  if (version > api.maxVersion) return api.maxVersion;
  return version;
}

/**
 * Decodes the request header at the reader's position. The header version is chosen from the api key and
 * version found in its first four bytes. Fails only on malformed bytes, never on an unknown api key or an
 * unsupported version: the broker needs the correlation id to answer those.
 */
export function readRequestHeader(r: Reader): RequestHeader {
  r.need(4);
  const apiKey = r.view.getInt16(r.offset);
  const apiVersion = r.view.getInt16(r.offset + 2);
  return decodeRequestHeader(r, requestHeaderVersion(apiKey, apiVersion));
}

/** A decoded request, discriminated by `apiKey`. */
export type KafkaRequest = {
  [K in ApiKey]: {
    readonly apiKey: K;
    readonly apiVersion: number;
    readonly header: RequestHeader;
    readonly body: RequestByKey[K];
  };
}[ApiKey];

/**
 * Decodes the body of a request whose header was read with `readRequestHeader`. Throws DecodeError with
 * reason `unknown-api-key` or `unsupported-version` (and `requestHeader` set) when the body cannot be decoded
 * at all, or with the failing field's path when the bytes are malformed.
 */
export function decodeRequestBody(r: Reader, header: RequestHeader): KafkaRequest {
  const api = apiByKey(header.requestApiKey);
  const version = header.requestApiVersion;
  try {
    if (api === undefined) {
      throw new DecodeError(
        "unknown-api-key",
        `api key ${header.requestApiKey} is not known`,
        header.requestApiKey,
      );
    }
    const body = api.decodeRequest(r, version);
    return { apiKey: api.apiKey, apiVersion: version, header, body } as KafkaRequest;
  } catch (e) {
    if (e instanceof DecodeError) e.requestHeader = header;
    throw e;
  }
}

/** Decodes a request frame's payload (the bytes after the 4-byte size): header, then body. */
export function decodeRequest(payload: Uint8Array): KafkaRequest {
  const r = new Reader(payload);
  return decodeRequestBody(r, readRequestHeader(r));
}

/** Encodes a response (header + body, no size prefix) with the header version the api and version require. */
export function encodeResponse<K extends ApiKey>(
  w: Writer,
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseInputByKey[K],
): void {
  const api = apiOrThrow(apiKey, apiVersion) as unknown as ApiCodecOf<K>;
  encodeResponseHeader(w, { correlationId }, responseHeaderVersion(apiKey, apiVersion));
  api.encodeResponse(w, body, apiVersion);
}

/**
 * Encodes a whole response frame (4-byte size, header, body) into `w` and returns a view of it. The view
 * aliases the writer's buffer: send or copy it before the writer is reused.
 */
export function encodeResponseFrame<K extends ApiKey>(
  w: Writer,
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseInputByKey[K],
): Uint8Array {
  const start = w.offset;
  const startLength = w.length;
  const at = w.reserve(frameSizeBytes);
  encodeResponse(w, apiKey, apiVersion, correlationId, body);
  w.patchInt32(at, w.length - startLength - frameSizeBytes);
  return frameView(w, start, startLength);
}

/**
 * Encodes a whole response frame like `encodeResponseFrame`, into a zero-copy writer
 * (`new Writer(n, { zeroCopyBytesMin })`), and returns it as a list of buffers: large records are
 * referenced, not copied. The writer must be fresh or reset. Send the parts in order, before the writer is
 * reused and while the referenced record buffers are unchanged.
 */
export function encodeResponseFrameParts<K extends ApiKey>(
  w: Writer,
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseInputByKey[K],
): Uint8Array[] {
  if (w.length !== 0)
    throw new EncodeError("invalid-value", "encodeResponseFrameParts needs an empty writer");
  const at = w.reserve(frameSizeBytes);
  encodeResponse(w, apiKey, apiVersion, correlationId, body);
  w.patchInt32(at, w.length - frameSizeBytes);
  return w.finishParts();
}

/** Encodes a request (header + body, no size prefix); for clients and tests. */
export function encodeRequest<K extends ApiKey>(
  w: Writer,
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: RequestInputByKey[K],
): void {
  const api = apiOrThrow(apiKey, apiVersion) as unknown as ApiCodecOf<K>;
  encodeRequestHeader(
    w,
    { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId },
    requestHeaderVersion(apiKey, apiVersion),
  );
  api.encodeRequest(w, body, apiVersion);
}

/** Encodes a whole request frame (4-byte size, header, body) and returns a view of it. */
export function encodeRequestFrame<K extends ApiKey>(
  w: Writer,
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: RequestInputByKey[K],
): Uint8Array {
  const start = w.offset;
  const startLength = w.length;
  const at = w.reserve(frameSizeBytes);
  encodeRequest(w, apiKey, apiVersion, correlationId, clientId, body);
  w.patchInt32(at, w.length - startLength - frameSizeBytes);
  return frameView(w, start, startLength);
}

/** Decodes a response payload (after the size prefix) of a request sent with this api key and version. */
export function decodeResponse<K extends ApiKey>(
  payload: Uint8Array,
  apiKey: K,
  apiVersion: number,
): { readonly correlationId: number; readonly body: ResponseByKey[K] } {
  const api = apiByKey(apiKey);
  if (api === undefined) throw new DecodeError("unknown-api-key", `api key ${apiKey} is not known`, apiKey);
  const r = new Reader(payload);
  const header = decodeResponseHeader(r, responseHeaderVersion(apiKey, apiVersion));
  const body = (api as unknown as ApiCodecOf<K>).decodeResponse(r, apiVersion);
  return { correlationId: header.correlationId, body };
}

// The frame just written: a view when the writer holds it contiguously, else (zero-copy parts were taken)
// a concatenated copy, which needs the frame to be the writer's whole content.
function frameView(w: Writer, start: number, startLength: number): Uint8Array {
  if (w.length === w.offset) return w.bytes.subarray(start, w.offset);
  if (startLength !== 0) {
    throw new EncodeError(
      "invalid-value",
      "a zero-copy writer must be empty before a frame is encoded into it",
    );
  }
  return w.finish();
}

function apiOrThrow(apiKey: number, apiVersion: number): AnyApiCodec {
  const api = apiByKey(apiKey);
  if (api === undefined) throw new EncodeError("unknown-api-key", `api key ${apiKey} is not known`, apiKey);
  if (!api.isVersionSupported(apiVersion)) {
    throw withMessage(
      new EncodeError(
        "unsupported-version",
        `version ${apiVersion} outside ${api.minVersion}-${api.maxVersion}`,
      ),
      apiKey,
      api.name,
      apiVersion,
    );
  }
  return api;
}
