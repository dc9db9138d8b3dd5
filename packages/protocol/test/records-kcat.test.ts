/**
 * Live interoperability with a real client, kcat (librdkafka), for every codec, both ways: kcat produces
 * to a fake broker and we decode its batches; we encode batches and kcat consumes and prints them.
 * kcat is a required dev tool here (scripts/ensure-clients.ts installs it), so this never skips.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  type CompressionName,
  concatBatches,
  controlBatchInput,
  decodeRecordBatches,
  encodeRecordBatch,
} from "../src/index.ts";
import { type FakeBroker, runKcat, startFakeBroker } from "./records-kcat-broker.ts";

const codecs: readonly CompressionName[] = ["none", "gzip", "snappy", "lz4", "zstd"];
const text = new TextDecoder();
const ascii = (s: string) => new TextEncoder().encode(s);
const show = (bytes: Uint8Array | null) => (bytes === null ? "NULL" : text.decode(bytes));
const long = "interoperable ".repeat(30);

let broker: FakeBroker;
beforeAll(() => {
  broker = startFakeBroker();
});
afterAll(() => broker.stop());

describe("kcat interoperability", () => {
  for (const codec of codecs) {
    test(`kcat produces ${codec}; we decode`, async () => {
      broker.produced.length = 0;
      const lines = `a:one\nb:${long}\n:keyless\nc:\n`;
      await runKcat(
        broker,
        ["-P", "-t", "t", "-p", "0", "-X", "linger.ms=200", "-K:", "-Z", "-H", "trace=7", "-z", codec],
        lines,
      );
      const batches = broker.produced.flatMap((records) => decodeRecordBatches(records));
      expect(batches.length).toBeGreaterThan(0);
      if (codec !== "none") expect(batches.some((b) => b.header.compression === codec)).toBe(true);
      const records = batches.flatMap((b) => b.records);
      expect(records.map((r) => [show(r.key), show(r.value)])).toEqual([
        ["a", "one"],
        ["b", long],
        ["NULL", "keyless"],
        ["c", "NULL"],
      ]);
      for (const r of records) expect(r.headers.map((h) => [h.key, show(h.value)])).toEqual([["trace", "7"]]);
    }, 30_000);

    test(`we encode ${codec}; kcat consumes`, async () => {
      const first = encodeRecordBatch({
        compression: codec,
        baseOffset: 0n,
        baseTimestamp: 1_700_000_000_000n,
        records: [
          { key: ascii("k0"), value: ascii("v0"), headers: [{ key: "h", value: ascii("x") }] },
          { key: null, value: ascii(long) },
        ],
      });
      const second = encodeRecordBatch({
        compression: codec,
        baseOffset: 2n,
        baseTimestamp: 1_700_000_000_100n,
        records: [{ key: ascii("k2"), value: null, timestampDelta: 5 }],
      });
      broker.serve(concatBatches([first, second]), 3n);
      const out = await runKcat(broker, [
        "-C",
        "-t",
        "t",
        "-p",
        "0",
        "-o",
        "0",
        "-e",
        "-Z",
        "-f",
        "%o|%k|%s|%h|%T\\n",
      ]);
      expect(out.trim().split("\n")).toEqual([
        "0|k0|v0|h=x|1700000000000",
        `1|NULL|${long}||1700000000000`,
        "2|k2|NULL||1700000000105",
      ]);
    }, 30_000);
  }

  test("kcat (read_committed) honours our commit and abort markers", async () => {
    const txn = (producerId: bigint, baseOffset: bigint, values: string[]) =>
      encodeRecordBatch({
        baseOffset,
        producerId,
        producerEpoch: 0,
        baseSequence: 0,
        isTransactional: true,
        baseTimestamp: 1_700_000_000_000n,
        records: values.map((v) => ({ value: ascii(v) })),
      });
    const marker = (type: "commit" | "abort", producerId: bigint, baseOffset: bigint) =>
      encodeRecordBatch(
        controlBatchInput({
          marker: { type, coordinatorEpoch: 0 },
          producerId,
          producerEpoch: 0,
          timestampMs: 1_700_000_000_001n,
          baseOffset,
        }),
      );
    // Offsets: 0-1 committed (producer 7), 2 commit marker, 3-4 aborted (producer 8), 5 abort marker,
    // 6 a later committed transaction of producer 8, 7 its commit marker. The consumer skips producer
    // 8's records from offset 3 until it reads an abort marker it understands, so "later" shows only if
    // our abort marker is parsed as one.
    const records = concatBatches([
      txn(7n, 0n, ["kept-1", "kept-2"]),
      marker("commit", 7n, 2n),
      txn(8n, 3n, ["dropped-1", "dropped-2"]),
      marker("abort", 8n, 5n),
      txn(8n, 6n, ["later"]),
      marker("commit", 8n, 7n),
    ]);
    broker.serve(records, 8n, [[8n, 3n]]);
    const out = await runKcat(broker, [
      "-C",
      "-t",
      "t",
      "-p",
      "0",
      "-o",
      "0",
      "-e",
      "-X",
      "isolation.level=read_committed",
      "-f",
      "%o|%s\\n",
    ]);
    expect(out.trim().split("\n")).toEqual(["0|kept-1", "1|kept-2", "6|later"]);
  }, 30_000);
});
