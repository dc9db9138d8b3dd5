// Basic codec checks: every api's request and response encode and decode at every version with default
// values, and a hand-built Produce request round-trips through the frame helpers with the right header.

import { describe, expect, test } from "bun:test";
import {
  ApiKey,
  apis,
  DecodeError,
  decodeRequest,
  decodeResponse,
  encodeRequestFrame,
  encodeResponseFrame,
  Reader,
  readRequestHeader,
  requestHeaderVersion,
  responseHeaderVersion,
  Writer,
} from "../src/index.ts";

describe("every api at every version with default values", () => {
  for (const api of apis) {
    test(`${api.name} (${api.apiKey}) v${api.minVersion}-${api.maxVersion}`, () => {
      for (let v = api.minVersion; v <= api.maxVersion; v++) {
        const w = new Writer();
        api.encodeRequest(w, {} as never, v);
        const r = new Reader(w.finish());
        api.decodeRequest(r, v);
        expect(r.remaining).toBe(0);
        const w2 = new Writer();
        api.encodeResponse(w2, {} as never, v);
        const r2 = new Reader(w2.finish());
        api.decodeResponse(r2, v);
        expect(r2.remaining).toBe(0);
      }
    });
  }
});

test("header versions follow flexibility, ApiVersions responses always use v0", () => {
  expect(requestHeaderVersion(ApiKey.Produce, 8)).toBe(1);
  expect(requestHeaderVersion(ApiKey.Produce, 9)).toBe(2);
  expect(requestHeaderVersion(ApiKey.ControlledShutdown, 0)).toBe(0);
  expect(responseHeaderVersion(ApiKey.Metadata, 8)).toBe(0);
  expect(responseHeaderVersion(ApiKey.Metadata, 9)).toBe(1);
  expect(requestHeaderVersion(ApiKey.ApiVersions, 3)).toBe(2);
  expect(responseHeaderVersion(ApiKey.ApiVersions, 3)).toBe(0);
  // A future ApiVersions version still gets a parseable header.
  expect(requestHeaderVersion(ApiKey.ApiVersions, 99)).toBe(2);
});

test("a produce request round-trips through the frame helpers", () => {
  const records = new Uint8Array([1, 2, 3, 4, 5]);
  for (const version of [3, 7, 9, 11]) {
    const w = new Writer();
    const frame = encodeRequestFrame(w, ApiKey.Produce, version, 42, "eddy-test", {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1500,
      topicData: [{ name: "orders", partitionData: [{ index: 3, records }] }],
    });
    const size = new DataView(frame.buffer, frame.byteOffset).getInt32(0);
    expect(size).toBe(frame.length - 4);
    const req = decodeRequest(frame.subarray(4));
    expect(req.apiKey).toBe(ApiKey.Produce);
    expect(req.header.correlationId).toBe(42);
    expect(req.header.clientId).toBe("eddy-test");
    if (req.apiKey !== ApiKey.Produce) throw new Error("unreachable");
    expect(req.body.acks).toBe(-1);
    expect(req.body.topicData[0]!.name).toBe("orders");
    const got = req.body.topicData[0]!.partitionData[0]!.records!;
    expect([...got]).toEqual([...records]);
    // Records are a view into the frame, not a copy.
    expect(got.buffer).toBe(frame.buffer);
  }
});

test("an ApiVersions v3 response frame carries header v0 and decodes", () => {
  const w = new Writer();
  const frame = encodeResponseFrame(w, ApiKey.ApiVersions, 3, 7, {
    errorCode: 0,
    apiKeys: [{ apiKey: 0, minVersion: 3, maxVersion: 8 }],
    throttleTimeMs: 0,
  });
  // size(4) + correlation id(4), then the body starts with the INT16 error code: no header tag byte.
  expect(new DataView(frame.buffer, frame.byteOffset).getInt16(8)).toBe(0);
  const res = decodeResponse(frame.subarray(4), ApiKey.ApiVersions, 3);
  expect(res.correlationId).toBe(7);
  expect(res.body.apiKeys).toEqual([
    { apiKey: 0, minVersion: 3, maxVersion: 8, _unknownTaggedFields: undefined },
  ]);
});

test("unknown api keys and unsupported versions give DecodeError with the header", () => {
  const w = new Writer();
  w.writeInt16(18);
  w.writeInt16(99);
  w.writeInt32(5);
  w.writeString("c");
  w.writeUVarint(0);
  const r = new Reader(w.finish());
  const header = readRequestHeader(r);
  expect(header.correlationId).toBe(5);
  let caught: unknown;
  try {
    decodeRequest(w.finish());
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DecodeError);
  expect((caught as DecodeError).reason).toBe("unsupported-version");
  expect((caught as DecodeError).requestHeader?.correlationId).toBe(5);
});

test("an unknown api key still yields its header, then a DecodeError naming the key", () => {
  const w = new Writer();
  w.writeInt16(999);
  w.writeInt16(0);
  w.writeInt32(77);
  w.writeString("who");
  const header = readRequestHeader(new Reader(w.finish()));
  expect(header.requestApiKey).toBe(999);
  expect(header.clientId).toBe("who");
  let caught: unknown;
  try {
    decodeRequest(w.finish());
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DecodeError);
  expect((caught as DecodeError).reason).toBe("unknown-api-key");
  expect((caught as DecodeError).apiKey).toBe(999);
  expect((caught as DecodeError).requestHeader?.correlationId).toBe(77);
});
