/**
 * The stored metadata snapshot and log-entry schemas and the controller's producer-id cursor: a
 * snapshot written before the cursor existed decodes with no cursor at all (so the image is exactly
 * the one stored), a snapshot taken after a block decodes with it, a ProducerIds record in the log
 * decodes field for field, and a negative or fractional cursor stops the decode, naming the field.
 * Each decoded image is fed to the core's controller to show it hands out the block after the cursor.
 */
import { describe, expect, test } from "bun:test";
import { controller, prngFromSeed } from "@eddy/core";
import { decodeStoredJson } from "@eddy/storage";
import { StoredMetadataSnapshot } from "./metadata-image-schema.ts";
import { StoredMetadataLogEntry } from "./metadata-record-schema.ts";

const encoder = new TextEncoder();
const broker = { brokerId: 1, brokerEpoch: 3, host: "h", port: 9092, rack: null, fenced: false };

function decodeSnapshot(data: object): controller.MetadataImage {
  const bytes = encoder.encode(JSON.stringify({ index: 7, term: 2, data }));
  return decodeStoredJson(StoredMetadataSnapshot, "snapshot", bytes).data;
}

/** The block an active controller restored from `image` hands broker 1. */
function nextBlock(image: controller.MetadataImage): controller.Response | null {
  const standby = controller.initialState({ prng: prngFromSeed(1), image });
  const active = controller.step(standby, { type: "activate", nowMs: 0 }).state;
  return controller.step(active, { type: "allocateProducerIds", brokerId: 1, brokerEpoch: 3 }).ready.response;
}

describe("stored metadata and the producer-id cursor", () => {
  test("a snapshot from before producer-id blocks decodes without a cursor; the first block starts at 0", () => {
    const image = decodeSnapshot({ offset: 7, brokers: [broker], topics: {} });
    expect("nextProducerId" in image).toBe(false);
    expect(nextBlock(image)).toMatchObject({ error: "NONE", firstProducerId: 0, size: 1000 });
  });

  test("a snapshot with a cursor decodes it; the next block starts there", () => {
    const image = decodeSnapshot({ offset: 7, brokers: [broker], topics: {}, nextProducerId: 5000 });
    expect(image.nextProducerId).toBe(5000);
    expect(nextBlock(image)).toMatchObject({ error: "NONE", firstProducerId: 5000, size: 1000 });
  });

  for (const [name, cursor, detail] of [
    ["negative", -1000, "nextProducerId"],
    ["fractional", 1000.5, "nextProducerId"],
    ["a string", "1000", "nextProducerId"],
  ] as const) {
    test(`a snapshot whose cursor is ${name} is refused, naming the field`, () => {
      expect(() =>
        decodeSnapshot({ offset: 7, brokers: [broker], topics: {}, nextProducerId: cursor }),
      ).toThrow(detail);
    });
  }

  test("a ProducerIds record in the metadata log decodes field for field", () => {
    const record = { type: "ProducerIds", brokerId: 1, brokerEpoch: 3, nextProducerId: 2000 } as const;
    const bytes = encoder.encode(JSON.stringify({ term: 2, payload: [record] }));
    expect(decodeStoredJson(StoredMetadataLogEntry, "log", bytes)).toEqual({ term: 2, payload: [record] });
    const missing = encoder.encode(
      JSON.stringify({ term: 2, payload: [{ ...record, nextProducerId: undefined }] }),
    );
    expect(() => decodeStoredJson(StoredMetadataLogEntry, "log", missing)).toThrow("payload[0]");
  });
});
