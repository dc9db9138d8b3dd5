/**
 * Bad input gets a clear error or a closed connection for that client only; the broker and every
 * other client keep going and nothing stored is lost: malformed frames, unknown keys and versions,
 * oversized frames, corrupt and too-large batches.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ErrorCode, encodeRecordBatch } from "@eddy/protocol";
import { kcat, kcatReadAll, type RunningBroker, removeDir, startBroker } from "./harness.ts";
import { RawClient } from "./raw-client.ts";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({
    args: ["--override", "message.max.bytes=100000", "--override", "socket.request.max.bytes=1000000"],
  });
  kcat(["-P", "-b", broker.bootstrap, "-t", "keep"], "one\ntwo\nthree\n");
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

const stored = (): string[] => kcatReadAll(broker.bootstrap, "keep");

function produceBody(records: Uint8Array, acks = 1) {
  return {
    acks,
    timeoutMs: 5000,
    transactionalId: null,
    topicData: [{ name: "keep", partitionData: [{ index: 0, records }] }],
  };
}

describe("bad input", () => {
  test("a corrupt batch gets CORRUPT_MESSAGE and is not stored", async () => {
    const client = await RawClient.connect(broker.port);
    const batch = encodeRecordBatch({ records: [{ value: new TextEncoder().encode("evil") }] });
    batch[batch.length - 1]! ^= 0xff;
    const response = await client.request(0, 7, produceBody(batch));
    expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    // The same connection keeps working.
    const good = await client.request(
      0,
      7,
      produceBody(encodeRecordBatch({ records: [{ value: new TextEncoder().encode("four") }] })),
    );
    expect(good.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
    client.close();
    expect(stored()).toEqual(["one", "two", "three", "four"]);
  }, 30_000);

  test("a legacy message set and a too-large batch are refused with their error codes", async () => {
    const client = await RawClient.connect(broker.port);
    const legacy = encodeRecordBatch({ records: [{ value: new Uint8Array(3) }] });
    legacy[16] = 1;
    const r1 = await client.request(0, 7, produceBody(legacy));
    expect(r1.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    const big = encodeRecordBatch({ records: [{ value: new Uint8Array(200_000) }] });
    const r2 = await client.request(0, 7, produceBody(big));
    expect(r2.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    client.close();
    expect(stored()).toEqual(["one", "two", "three", "four"]);
  }, 30_000);

  test("ApiVersions above v3 gets UNSUPPORTED_VERSION in the v0 layout with our ranges", async () => {
    const client = await RawClient.connect(broker.port);
    // A v4 request: written with the v3 layout, as a newer client would.
    const frame = new Uint8Array([0, 0, 0, 0, 0, 18, 0, 4, 0, 0, 0, 9, 0, 1, 120, 0, 1, 1, 0]);
    new DataView(frame.buffer).setInt32(0, frame.length - 4);
    client.writeRaw(frame);
    const payload = await client.nextFrame();
    expect(payload).not.toBeNull();
    const view = new DataView(payload!.buffer, payload!.byteOffset);
    expect(view.getInt32(0)).toBe(9);
    expect(view.getInt16(4)).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(view.getInt32(6)).toBeGreaterThan(5);
    client.close();
  }, 30_000);

  test("malformed, unknown and oversized frames close only that connection", async () => {
    const bystander = await RawClient.connect(broker.port);
    expect((await bystander.request(18, 2, {})).errorCode).toBe(0);

    const cases: Uint8Array[] = [
      // An unknown API key (999).
      new Uint8Array([0, 0, 0, 10, 3, 231, 0, 0, 0, 0, 0, 1, 0, 0]),
      // Produce v7 whose body stops halfway.
      new Uint8Array([0, 0, 0, 12, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 255, 255]),
      // Metadata v99 (its header read as the flexible v2 header of the newest version).
      new Uint8Array([0, 0, 0, 11, 0, 3, 0, 99, 0, 0, 0, 1, 0, 0, 0]),
      // A frame larger than socket.request.max.bytes.
      new Uint8Array([0x7f, 0, 0, 0]),
      // A negative frame size.
      new Uint8Array([0xff, 0xff, 0xff, 0xf0]),
    ];
    for (const bytes of cases) {
      const client = await RawClient.connect(broker.port);
      client.writeRaw(bytes);
      expect(await client.nextFrame()).toBeNull();
      expect(client.closed).toBe(true);
    }
    // The bystander connection and the stored data are untouched.
    expect((await bystander.request(18, 2, {})).errorCode).toBe(0);
    bystander.close();
    expect(stored()).toEqual(["one", "two", "three", "four"]);
    expect(broker.output()).toContain("closing connection");
    expect(broker.output()).toContain("Metadata v99 is not supported");
  }, 30_000);

  test("pipelined requests are answered in order", async () => {
    const client = await RawClient.connect(broker.port);
    const ids = [
      client.send(18, 0, {}),
      client.send(3, 1, { topics: [{ name: "keep" }] }),
      client.send(18, 2, {}),
    ];
    const seen: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const frame = await client.nextFrame();
      seen.push(new DataView(frame!.buffer, frame!.byteOffset).getInt32(0));
    }
    expect(seen).toEqual(ids);
    client.close();
  }, 30_000);
});
