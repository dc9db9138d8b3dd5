/**
 * Broker listeners in the stored metadata: a snapshot or RegisterBroker record written before brokers
 * registered their listeners decodes with no listeners field (the image is exactly the one stored), one
 * with listeners decodes them field for field, and an unknown security protocol stops the decode.
 */
import { describe, expect, test } from "bun:test";
import { decodeStoredJson } from "@eddy/storage";
import { StoredMetadataSnapshot } from "./metadata-image-schema.ts";
import { StoredMetadataLogEntry } from "./metadata-record-schema.ts";

const encoder = new TextEncoder();
const broker = { brokerId: 1, brokerEpoch: 3, host: "h", port: 9094, rack: null, fenced: false };
const listeners = [
  { name: "CLIENT", host: "h", port: 9092, securityProtocol: "PLAINTEXT" },
  { name: "INTERNAL", host: "h", port: 9094, securityProtocol: "SASL_SSL" },
];

function snapshot(brokers: object[]): unknown {
  const bytes = encoder.encode(
    JSON.stringify({ index: 7, term: 2, data: { offset: 7, brokers, topics: {} } }),
  );
  return decodeStoredJson(StoredMetadataSnapshot, "snapshot", bytes).data.brokers;
}

function logEntry(record: object): unknown {
  const bytes = encoder.encode(JSON.stringify({ term: 2, payload: [record] }));
  return decodeStoredJson(StoredMetadataLogEntry, "log", bytes).payload;
}

describe("stored metadata and broker listeners", () => {
  test("a snapshot from before listeners decodes without them", () => {
    const [decoded] = snapshot([broker]) as object[];
    expect(decoded).toEqual(broker);
    expect(decoded).not.toHaveProperty("listeners");
  });

  test("a snapshot with listeners keeps every one", () => {
    expect(snapshot([{ ...broker, listeners }])).toEqual([{ ...broker, listeners }]);
  });

  test("a RegisterBroker record with and without listeners decodes field for field", () => {
    const { fenced: _, ...fields } = broker;
    const record = { type: "RegisterBroker", ...fields };
    expect(logEntry(record)).toEqual([record]);
    expect(logEntry({ ...record, listeners })).toEqual([{ ...record, listeners }]);
  });

  test("an unknown security protocol is refused, naming the field", () => {
    const bad = [{ ...listeners[0], securityProtocol: "KERBEROS" }];
    expect(() => snapshot([{ ...broker, listeners: bad }])).toThrow("securityProtocol");
  });
});
