// The shape of one entry of the generated api table.
//
// Owns the contract a broker dispatches on: for an api key, its version range, which request and response
// header versions each version uses, and the body codecs. The entries themselves are generated
// (`src/generated/api-table.ts`) from the specs; this file must never list api keys by hand.

import type { Reader } from "./reader.ts";
import type { Writer } from "./writer.ts";

export interface ApiCodec<
  Request = unknown,
  RequestInput = never,
  Response = unknown,
  ResponseInput = never,
> {
  readonly apiKey: number;
  /** Api name without the Request/Response suffix, e.g. `Produce`. */
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible (KIP-482) version, or null when no version is flexible. */
  readonly flexibleMinVersion: number | null;
  /** Highest version the spec marks deprecated, or -1 when none is. */
  readonly deprecatedMaxVersion: number;
  /** Which Kafka listeners serve this api in the spec (`broker`, `controller`, `zkBroker`). */
  readonly listeners: readonly string[];
  /** Whether the spec marks the newest version unstable. */
  readonly latestVersionUnstable: boolean;
  isVersionSupported(version: number): boolean;
  isFlexible(version: number): boolean;
  /** 2 for flexible versions, 1 otherwise (0 only for ControlledShutdown v0). */
  requestHeaderVersion(version: number): number;
  /** 1 for flexible versions, 0 otherwise; always 0 for ApiVersions. */
  responseHeaderVersion(version: number): number;
  decodeRequest(reader: Reader, version: number): Request;
  encodeRequest(writer: Writer, value: RequestInput, version: number): void;
  decodeResponse(reader: Reader, version: number): Response;
  encodeResponse(writer: Writer, value: ResponseInput, version: number): void;
}
