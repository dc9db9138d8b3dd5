// Edge cases of the codec that the generic properties do not pin down: hand-computed wire bytes, bounds
// checks before allocation, error paths, tagged fields, nullable structs and the UUID form.

import { describe, expect, test } from "bun:test";
import {
  ApiKey,
  DecodeError,
  decodeApiVersionsResponse,
  decodeAssignmentBytes,
  decodeConsumerGroupHeartbeatResponse,
  decodeFetchRequest,
  decodeMetadataRequest,
  decodeProduceRequest,
  decodeSubscriptionBytes,
  EncodeError,
  encodeAssignmentBytes,
  encodeConsumerGroupHeartbeatResponse,
  encodeFetchResponse,
  encodeMetadataRequest,
  encodeProduceRequest,
  encodeRequestHeader,
  encodeResponseFrame,
  encodeResponseFrameParts,
  encodeSubscriptionBytes,
  Reader,
  uuidFromBytes,
  uuidToBytes,
  uuidZero,
  Writer,
} from "../src/index.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytesOf = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s+/g, ""), "hex"));

function decodeError(run: () => unknown): DecodeError {
  try {
    run();
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw new Error(`expected DecodeError, got ${String(e)}`);
  }
  throw new Error("expected DecodeError, nothing thrown");
}

describe("wire bytes computed by hand", () => {
  test("Metadata v0 request: INT32 count, INT16 string", () => {
    const w = new Writer();
    encodeMetadataRequest(w, { topics: [{ name: "ab" }] }, 0);
    expect(hex(w.finish())).toBe("00000001" + "0002" + "6162");
  });

  test("Metadata v9 request: compact array and string, tag sections", () => {
    const w = new Writer();
    encodeMetadataRequest(w, { topics: [{ name: "ab" }], allowAutoTopicCreation: true }, 9);
    // topics: uvarint(1+1), name: uvarint(2+1) "ab", topic tags 0; allowAuto 1; two bools 0; message tags 0.
    expect(hex(w.finish())).toBe("02" + "03" + "6162" + "00" + "01" + "00" + "00" + "00");
  });

  test("Metadata v12 request: topic ids are 16 raw bytes, names nullable", () => {
    const w = new Writer();
    encodeMetadataRequest(w, { topics: [{ topicId: uuidZero, name: null }] }, 12);
    // count, id, null name, topic tags, allowAutoTopicCreation (default true), includeTopicAuthorizedOperations,
    // message tags. includeClusterAuthorizedOperations ended at v10.
    expect(hex(w.finish())).toBe(`02${"00".repeat(16)}0000010000`);
  });

  test("request header v2: the client id keeps its INT16 length, then a tag section", () => {
    const w = new Writer();
    encodeRequestHeader(w, { requestApiKey: 18, requestApiVersion: 3, correlationId: 1, clientId: "c" }, 2);
    expect(hex(w.finish())).toBe("0012" + "0003" + "00000001" + "0001" + "63" + "00");
  });

  test("ApiVersions v3 response body decodes with tagged fields it does not know", () => {
    // error 0, apiKeys compact [ {0, 3, 8, no tags} ], throttle 0, tags: one unknown tag 9 of 2 bytes.
    const body = bytesOf("0000 02 0000 0003 0008 00 00000000 01 09 02 abcd");
    const got = decodeApiVersionsResponse(new Reader(body), 3);
    expect(got.apiKeys).toEqual([
      { apiKey: 0, minVersion: 3, maxVersion: 8, _unknownTaggedFields: undefined },
    ]);
    expect(got._unknownTaggedFields?.map((t) => [t.tag, hex(t.data)])).toEqual([[9, "abcd"]]);
  });
});

describe("lengths and counts are checked before anything is allocated", () => {
  test("an INT32 array count far above the bytes remaining", () => {
    const e = decodeError(() => decodeMetadataRequest(new Reader(bytesOf("7fffffff 0001")), 1));
    expect(e.reason).toBe("length-exceeds-remaining");
    expect(e.path).toBe("topics");
    expect(e.apiName).toBe("MetadataRequest");
    expect(e.apiKey).toBe(ApiKey.Metadata);
    expect(e.version).toBe(1);
  });

  test("a compact array count of 2^32-2", () => {
    const e = decodeError(() => decodeMetadataRequest(new Reader(bytesOf("ffffffff0f 00")), 9));
    expect(e.reason).toBe("length-exceeds-remaining");
  });

  test("fixed-size elements count their real size: 3 int32s need 12 bytes", () => {
    const r = new Reader(bytesOf("00000003 00000001 00000002"));
    expect(() => r.readArrayCount(4)).toThrow(DecodeError);
    expect(new Reader(bytesOf("00000002 00000001 00000002")).readArrayCount(4)).toBe(2);
  });

  test("a string longer than the frame", () => {
    const e = decodeError(() => decodeMetadataRequest(new Reader(bytesOf("00000001 7fff 61")), 0));
    expect(e.reason).toBe("length-exceeds-remaining");
    expect(e.path).toBe("topics.name");
  });

  test("a uvarint longer than 5 bytes", () => {
    const e = decodeError(() => decodeMetadataRequest(new Reader(bytesOf("8080808080 01")), 9));
    expect(e.reason).toBe("varint-too-long");
  });

  test("null where the version does not allow it", () => {
    const e = decodeError(() => decodeMetadataRequest(new Reader(bytesOf("ffffffff")), 0));
    expect(e.reason).toBe("unexpected-null");
    expect(e.path).toBe("topics");
  });

  test("truncated produce records name the field path", () => {
    const w = new Writer();
    encodeProduceRequest(
      w,
      {
        acks: 1,
        timeoutMs: 1,
        topicData: [{ name: "t", partitionData: [{ index: 0, records: new Uint8Array(10) }] }],
      },
      7,
    );
    const bytes = w.finish();
    const e = decodeError(() => decodeProduceRequest(new Reader(bytes.subarray(0, bytes.length - 3)), 7));
    expect(e.reason).toBe("length-exceeds-remaining");
    expect(e.path).toBe("topicData.partitionData.records");
    expect(e.message).toContain("ProduceRequest v7");
  });

  test("a tagged field that does not consume its announced size", () => {
    // Fetch v12 request minimal body, then a top-level tag 0 (ClusterId) announcing 3 bytes but holding a
    // 1-byte compact null string.
    const w = new Writer();
    const head = bytesOf("ffffffff 00000000 00000000 00000000 00 00000000 ffffffff 01 01 01");
    w.writeRaw(head);
    w.writeUVarint(1);
    w.writeUVarint(0);
    w.writeUVarint(3);
    w.writeRaw(bytesOf("00 0000"));
    const e = decodeError(() => decodeFetchRequest(new Reader(w.finish()), 12));
    expect(e.reason).toBe("tagged-field-size-mismatch");
    expect(e.path).toBe("clusterId");
  });
});

describe("encoding", () => {
  test("tagged fields are written only when they differ from their default, in tag order", () => {
    const base = { responses: [{ topic: "t", partitions: [{ partitionIndex: 0, records: null }] }] };
    const plain = new Writer();
    encodeFetchResponse(plain, base, 12);
    const tagged = new Writer();
    encodeFetchResponse(
      tagged,
      {
        responses: [
          {
            topic: "t",
            partitions: [
              { partitionIndex: 0, records: null, currentLeader: { leaderId: 3, leaderEpoch: 4 } },
            ],
          },
        ],
      },
      12,
    );
    // currentLeader is tag 1: count 1, tag 1, size 9 (int32 + int32 + empty tag section).
    expect(tagged.finish().length - plain.finish().length).toBe(1 + 1 + 9);
    expect(hex(tagged.finish())).toContain("01010900000003000000040000");
  });

  test("nullable structs carry a presence byte", () => {
    const w = new Writer();
    encodeConsumerGroupHeartbeatResponse(w, { memberId: "m", assignment: null }, 0);
    const nullBytes = w.finish().slice();
    expect(nullBytes[nullBytes.length - 2]).toBe(0xff);
    expect(decodeConsumerGroupHeartbeatResponse(new Reader(nullBytes), 0).assignment).toBeNull();
    const w2 = new Writer();
    encodeConsumerGroupHeartbeatResponse(w2, { memberId: "m", assignment: { topicPartitions: [] } }, 0);
    const got = decodeConsumerGroupHeartbeatResponse(new Reader(w2.finish()), 0);
    expect(got.assignment?.topicPartitions).toEqual([]);
  });

  test("strings over 32767 bytes are refused", () => {
    expect(() => encodeMetadataRequest(new Writer(), { topics: [{ name: "x".repeat(40_000) }] }, 1)).toThrow(
      EncodeError,
    );
  });

  test("a malformed uuid is an EncodeError with its path", () => {
    let caught: unknown;
    try {
      encodeMetadataRequest(new Writer(), { topics: [{ topicId: "not-a-uuid", name: "t" }] }, 10);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(EncodeError);
    expect((caught as EncodeError).path).toBe("topics.topicId");
  });

  test("unsupported versions are typed errors both ways", () => {
    expect(() => encodeMetadataRequest(new Writer(), {}, 13)).toThrow(EncodeError);
    expect(decodeError(() => decodeMetadataRequest(new Reader(new Uint8Array(8)), -1)).reason).toBe(
      "unsupported-version",
    );
  });

  test("the writer grows from a tiny buffer and multi-byte strings keep their byte length", () => {
    const w = new Writer(1);
    encodeMetadataRequest(w, { topics: [{ name: "é漢😀".repeat(50) }] }, 9);
    const got = decodeMetadataRequest(new Reader(w.finish()), 9);
    expect(got.topics?.[0]?.name).toBe("é漢😀".repeat(50));
  });
});

test("uuids: Kafka's base64url form, 16 bytes both ways", () => {
  const bytes = new Uint8Array(16).map((_, i) => i * 17);
  const s = uuidFromBytes(bytes);
  expect(s.length).toBe(22);
  expect(Buffer.from(s, "base64url").equals(Buffer.from(bytes))).toBe(true);
  expect([...uuidToBytes(s)]).toEqual([...bytes]);
  expect(uuidFromBytes(new Uint8Array(16))).toBe(uuidZero);
  expect(() => uuidToBytes("AAAAAAAAAAAAAAAAAAAAA")).toThrow(EncodeError);
  expect(() => uuidToBytes("AAAAAAAAAAAAAAAAAAAAA=")).toThrow(EncodeError);
  // The last character carries 2 bits; the other 4 must be zero.
  expect(() => uuidToBytes("AAAAAAAAAAAAAAAAAAAAAB")).toThrow(EncodeError);
});

describe("consumer protocol bytes", () => {
  test("subscription and assignment round-trip with their version prefix", () => {
    const sub = encodeSubscriptionBytes(
      { topics: ["a", "b"], ownedPartitions: [{ topic: "a", partitions: [1] }] },
      1,
    );
    expect(new DataView(sub.buffer, sub.byteOffset).getInt16(0)).toBe(1);
    const got = decodeSubscriptionBytes(sub);
    expect(got.version).toBe(1);
    expect(got.subscription.topics).toEqual(["a", "b"]);
    expect(got.subscription.ownedPartitions).toEqual([{ topic: "a", partitions: [1] }]);
    const asg = decodeAssignmentBytes(
      encodeAssignmentBytes({ assignedPartitions: [{ topic: "a", partitions: [0, 2] }] }, 0),
    );
    expect(asg.assignment.assignedPartitions).toEqual([{ topic: "a", partitions: [0, 2] }]);
  });

  test("a newer version is read with the newest version we know; a negative one is refused", () => {
    const bytes = encodeSubscriptionBytes({ topics: ["a"] }, 3);
    new DataView(bytes.buffer, bytes.byteOffset).setInt16(0, 9);
    expect(decodeSubscriptionBytes(bytes).subscription.topics).toEqual(["a"]);
    new DataView(bytes.buffer, bytes.byteOffset).setInt16(0, -1);
    expect(decodeError(() => decodeSubscriptionBytes(bytes)).reason).toBe("unsupported-version");
  });
});

test("integers outside their wire type are EncodeErrors, not silently wrapped", () => {
  const w = new Writer();
  expect(() => w.writeInt8(128)).toThrow(EncodeError);
  expect(() => w.writeInt16(70000)).toThrow(EncodeError);
  expect(() => w.writeUint16(-1)).toThrow(EncodeError);
  expect(() => w.writeInt32(2 ** 31)).toThrow(EncodeError);
  expect(() => w.writeInt32(1.5)).toThrow(EncodeError);
  expect(() => w.writeUint32(2 ** 32)).toThrow(EncodeError);
  expect(() => w.writeInt64(2n ** 63n)).toThrow(EncodeError);
  expect(() => w.writeInt64(1 as unknown as bigint)).toThrow(EncodeError);
  let caught: unknown;
  try {
    encodeProduceRequest(new Writer(), { acks: 1, timeoutMs: 2 ** 40 }, 7);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(EncodeError);
  expect((caught as EncodeError).path).toBe("timeoutMs");
  expect(w.offset).toBe(0);
});

test("a compact string longer than 32767 bytes is refused, as Kafka does", () => {
  const w = new Writer();
  w.writeUVarint(2); // one topic
  w.writeUVarint(40_001); // name length 40,000
  w.writeRaw(new Uint8Array(40_000).fill(0x61));
  const e = decodeError(() => decodeMetadataRequest(new Reader(w.finish()), 9));
  expect(e.reason).toBe("invalid-value");
  expect(e.path).toBe("topics.name");
});

test("records may be given as several buffers and encode exactly like their concatenation", () => {
  const a = new Uint8Array([1, 2, 3]);
  const b = new Uint8Array([4, 5]);
  for (const version of [4, 11, 12, 17]) {
    const parts = new Writer();
    encodeFetchResponse(
      parts,
      { responses: [{ topic: "t", partitions: [{ partitionIndex: 0, records: [a, b] }] }] },
      version,
    );
    const whole = new Writer();
    encodeFetchResponse(
      whole,
      {
        responses: [
          { topic: "t", partitions: [{ partitionIndex: 0, records: new Uint8Array([1, 2, 3, 4, 5]) }] },
        ],
      },
      version,
    );
    expect(hex(parts.finish())).toBe(hex(whole.finish()));
  }
  const empty = new Writer();
  encodeProduceRequest(empty, { topicData: [{ name: "t", partitionData: [{ index: 0, records: [] }] }] }, 9);
  const got = decodeProduceRequest(new Reader(empty.finish()), 9);
  expect(got.topicData[0]!.partitionData[0]!.records?.length).toBe(0);
});

test("zero-copy response frames reference the records and match the copying encoder", () => {
  const big = new Uint8Array(100_000).fill(7);
  const small = new Uint8Array(10).fill(1);
  const body = {
    responses: [
      {
        topic: "t",
        partitions: [
          { partitionIndex: 0, records: [big, small] },
          { partitionIndex: 1, records: big },
        ],
      },
    ],
  };
  for (const version of [11, 12]) {
    const parts = encodeResponseFrameParts(
      new Writer(256, { zeroCopyBytesMin: 4096 }),
      ApiKey.Fetch,
      version,
      9,
      body,
    );
    expect(parts.filter((p) => p === big).length).toBe(2);
    const copy = encodeResponseFrame(new Writer(), ApiKey.Fetch, version, 9, body);
    const joined = Buffer.concat(parts);
    expect(joined.equals(Buffer.from(copy))).toBe(true);
    expect(new DataView(copy.buffer, copy.byteOffset).getInt32(0)).toBe(copy.length - 4);
    // The same writer used through encodeResponseFrame concatenates instead.
    const viaFrame = encodeResponseFrame(
      new Writer(256, { zeroCopyBytesMin: 4096 }),
      ApiKey.Fetch,
      version,
      9,
      body,
    );
    expect(Buffer.from(viaFrame).equals(Buffer.from(copy))).toBe(true);
  }
  expect(() =>
    encodeResponseFrameParts(
      (() => {
        const w = new Writer();
        w.writeInt8(1);
        return w;
      })(),
      ApiKey.Fetch,
      11,
      9,
      body,
    ),
  ).toThrow(EncodeError);
});
