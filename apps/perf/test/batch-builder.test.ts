import { expect, test } from "bun:test";
import { decodeRecordBatch, encodeRecordBatch, type KafkaRecordInput } from "@eddy/protocol";
import { BatchBuilder, buildBatch, type TimestampRun } from "../src/batch-builder.ts";

test("the built batch is byte for byte what the protocol's encoder gives", () => {
  for (const valueBytes of [0, 1, 63, 64, 100, 200, 20_000]) {
    const value = new Uint8Array(valueBytes).map((_, i) => 65 + (i % 26));
    for (const runs of [
      [],
      [{ timestampDelta: 0, count: 1 }],
      [{ timestampDelta: 0, count: 70 }],
      [
        { timestampDelta: 0, count: 3 },
        { timestampDelta: 5, count: 60 },
        { timestampDelta: 70_000, count: 100 },
      ],
    ] as TimestampRun[][]) {
      const records: KafkaRecordInput[] = runs.flatMap((run) =>
        Array.from({ length: run.count }, () => ({ value, timestampDelta: run.timestampDelta })),
      );
      const expected = encodeRecordBatch({ records, baseTimestamp: 1_700_000_000_000n });
      const built = buildBatch(value, 1_700_000_000_000, runs);
      expect(Buffer.from(built).equals(Buffer.from(expected))).toBe(true);
      expect(decodeRecordBatch(built).records.length).toBe(records.length);
    }
  }
});

test("a batch of the last one's shape is its bytes with new timestamps and a valid CRC", () => {
  const value = new Uint8Array(100).fill(66);
  const builder = new BatchBuilder(value);
  const shapes: TimestampRun[][] = [
    [{ timestampDelta: 0, count: 148 }],
    [{ timestampDelta: 0, count: 148 }],
    [
      { timestampDelta: 0, count: 100 },
      { timestampDelta: 1, count: 48 },
    ],
    [
      { timestampDelta: 0, count: 100 },
      { timestampDelta: 1, count: 48 },
    ],
    [{ timestampDelta: 0, count: 148 }],
  ];
  let base = 1_700_000_000_000;
  for (const runs of shapes) {
    base += 7;
    const built = builder.build(base, runs);
    expect(Buffer.from(built).equals(Buffer.from(buildBatch(value, base, runs)))).toBe(true);
    // Built in the builder's one buffer (grown at most to the largest batch's double).
    expect(built.buffer.byteLength).toBeLessThanOrEqual(2 * 148 * 120 + 61);
    expect(decodeRecordBatch(built, { verifyCrc: true }).header.baseTimestamp).toBe(BigInt(base));
  }
});

test("batches of changing sizes are built in one reused buffer, each byte-equal to a fresh build", () => {
  const value = new Uint8Array(100).fill(67);
  const builder = new BatchBuilder(value);
  const buffers = new Set<ArrayBufferLike>();
  let base = 1_700_000_000_000;
  for (const count of [5, 40, 148, 12, 148, 1, 90, 148, 33]) {
    base += 3;
    const runs = [{ timestampDelta: 0, count }];
    const built = builder.build(base, runs);
    expect(Buffer.from(built).equals(Buffer.from(buildBatch(value, base, runs)))).toBe(true);
    expect(decodeRecordBatch(built, { verifyCrc: true }).records.length).toBe(count);
    buffers.add(built.buffer);
  }
  // One buffer for the first size, one when 40 outgrew it, one when 148 did; never one per batch.
  expect(buffers.size).toBeLessThanOrEqual(3);
});
