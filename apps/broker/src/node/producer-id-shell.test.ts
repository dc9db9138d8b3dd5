/**
 * The producer-id shell over the in-memory disk: the first InitProducerId after a start gets an id
 * (not COORDINATOR_LOAD_IN_PROGRESS while the first block is reserved), ids run on without a repeat
 * across block boundaries, and a restart never hands out an id reserved before it. The stored cursor
 * is decoded with its schema: a cursor written before it was JSON (no bytes, the file name alone) still
 * reads, and one that does not decode stops the shell from opening, naming the file, unchanged. A
 * failed reservation is answered with a retriable error, and the retry reserves the next block.
 * In cluster mode the blocks come from the controller (the core's, committing each batch at once):
 * two brokers' shells never share an id, the local cursor is left alone, and a refused or
 * unregistered request is answered with a retriable error.
 */
import { describe, expect, test } from "bun:test";
import { controller, prngFromSeed } from "@eddy/core";
import { ErrorCode } from "@eddy/protocol";
import { MemoryDisk, memoryDataDir } from "@eddy/storage-memory";
import { storageOn } from "../../test/memory-storage.ts";
import { type ProducerIdController, ProducerIdShell } from "./producer-id-shell.ts";

async function idsFrom(shell: ProducerIdShell, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await shell.initProducerId(null, 60_000, -1, -1);
    expect(answer.errorCode).toBe(ErrorCode.NONE);
    expect(answer.producerEpoch).toBe(0);
    ids.push(answer.producerId);
  }
  return ids;
}

describe("producer-id shell", () => {
  test("every request gets a fresh id, the first after a start included, and a restart skips reserved ids", async () => {
    const disk = new MemoryDisk();
    const first = await idsFrom(await ProducerIdShell.open(await storageOn(disk)), 2500);
    expect(first).toEqual(first.map((_, i) => i));
    const [afterRestart] = await idsFrom(await ProducerIdShell.open(await storageOn(disk)), 1);
    // Blocks of 1000 are reserved before use: 0-2999 were reserved, so none of them comes back.
    expect(afterRestart).toBe(3000);
  });

  test("a failed reservation answers COORDINATOR_LOAD_IN_PROGRESS, and the retry gets an id past it", async () => {
    const disk = new MemoryDisk();
    const shell = await ProducerIdShell.open(await storageOn(disk), undefined, () => {});
    disk.faults.failNextWrite = "Io";
    const failed = await shell.initProducerId(null, 60_000, -1, -1);
    expect(failed.errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    // The failed write may have reserved 0-999 or not: the cursor moved first, so they are skipped.
    expect(await idsFrom(shell, 1)).toEqual([1000]);
  });

  test("a cursor stored without bytes (before it was JSON) is read from the file name", async () => {
    const disk = new MemoryDisk();
    const storage = await storageOn(disk);
    await storage.run(storage.state.saveProducerIdCursor({ version: 3000, bytes: new Uint8Array(0) }));
    expect(await idsFrom(await ProducerIdShell.open(storage), 1)).toEqual([3000]);
  });

  for (const [name, text, detail] of [
    [
      "a wrong type",
      '{"version":1,"nextProducerId":"3000"}',
      'field nextProducerId: expected number, got "3000"',
    ],
    ["truncated JSON", '{"version":1,"nextProd', "not valid JSON (truncated or overwritten?)"],
    ["a missing field", '{"version":1}', "field nextProducerId: missing key"],
    [
      "a cursor other than the file name's",
      '{"version":1,"nextProducerId":1000}',
      "field nextProducerId: expected 3000 (the file's name), got 1000",
    ],
  ] as const) {
    test(`a stored cursor with ${name} stops the shell from opening and stays as it was`, async () => {
      const disk = new MemoryDisk();
      const storage = await storageOn(disk);
      const bytes = new TextEncoder().encode(text);
      await storage.run(storage.state.saveProducerIdCursor({ version: 3000, bytes }));
      await expect(ProducerIdShell.open(storage)).rejects.toThrow(
        `Corrupt: producer id block ${memoryDataDir}/__producer_ids-0/00000000000000003000.snapshot: ${detail}`,
      );
      const stored = await storage.run(storage.state.loadProducerIdCursor());
      expect(stored?.version).toBe(3000);
      expect(new TextDecoder().decode(stored?.bytes)).toBe(text);
    });
  }
});

/** The core's controller, active, committing every batch at once: the cluster's controller in small. */
class InstantController {
  state = controller.step(controller.initialState({ prng: prngFromSeed(7) }), {
    type: "activate",
    nowMs: 0,
  }).state;
  offset = 0;
  /** Set to answer the next requests NOT_CONTROLLER, as a node with no active controller does. */
  refusing = false;
  readonly inputs: controller.Input[] = [];

  async request(input: controller.Input): Promise<controller.Response | null> {
    this.inputs.push(input);
    if (this.refusing)
      return { type: "allocateProducerIds", error: "NOT_CONTROLLER", firstProducerId: -1, size: 0 };
    const { state, ready } = controller.step(this.state, input);
    this.state = state;
    if (ready.records.length > 0) {
      this.offset++;
      this.state = controller.step(this.state, {
        type: "committed",
        offset: this.offset,
        records: ready.records,
      }).state;
    }
    return ready.response;
  }

  /** Registers a broker and returns its side of the controller. */
  async broker(brokerId: number): Promise<ProducerIdController> {
    const answer = await this.request({
      type: "registerBroker",
      nowMs: 0,
      brokerId,
      host: "h",
      port: 9092,
      rack: null,
    });
    expect(answer).toMatchObject({ type: "registerBroker", error: "NONE" });
    const brokerEpoch = answer?.type === "registerBroker" ? answer.brokerEpoch : -1;
    return { request: (input) => this.request(input), brokerEpochValue: brokerEpoch };
  }
}

describe("producer-id shell in a cluster", () => {
  test("two brokers get their blocks from the controller and never share an id; the local cursor stays unwritten", async () => {
    const ctl = new InstantController();
    const disks = [new MemoryDisk(), new MemoryDisk()];
    const shells = [
      await ProducerIdShell.open(await storageOn(disks[0]!), undefined, undefined, {
        brokerId: 1,
        controller: await ctl.broker(1),
      }),
      await ProducerIdShell.open(await storageOn(disks[1]!), undefined, undefined, {
        brokerId: 2,
        controller: await ctl.broker(2),
      }),
    ];
    const a = await idsFrom(shells[0]!, 1500);
    const b = await idsFrom(shells[1]!, 10);
    const c = await idsFrom(shells[0]!, 10);
    // Broker 1 took 0-999 and 1000-1999 (the second prefetched), broker 2 then 2000-2999.
    expect(a).toEqual(a.map((_, i) => i));
    expect(b).toEqual(b.map((_, i) => 2000 + i));
    expect(c).toEqual(c.map((_, i) => 1500 + i));
    expect(new Set([...a, ...b, ...c]).size).toBe(1520);
    const asked = ctl.inputs.filter((i) => i.type === "allocateProducerIds");
    expect(asked).toEqual([
      { type: "allocateProducerIds", brokerId: 1, brokerEpoch: 1 },
      { type: "allocateProducerIds", brokerId: 1, brokerEpoch: 1 },
      { type: "allocateProducerIds", brokerId: 2, brokerEpoch: 1 },
    ]);
    expect(ctl.state.image.nextProducerId).toBe(3000);
    for (const disk of disks) {
      const storage = await storageOn(disk);
      expect(await storage.run(storage.state.loadProducerIdCursor())).toBeNull();
    }
  });

  test("a refused request answers COORDINATOR_LOAD_IN_PROGRESS, and the retry gets the controller's block", async () => {
    const ctl = new InstantController();
    const broker = await ctl.broker(1);
    const shell = await ProducerIdShell.open(await storageOn(new MemoryDisk()), undefined, () => {}, {
      brokerId: 1,
      controller: broker,
    });
    ctl.refusing = true;
    const refused = await shell.initProducerId(null, 60_000, -1, -1);
    expect(refused.errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    ctl.refusing = false;
    expect(await idsFrom(shell, 1)).toEqual([0]);
  });

  test("a broker that is not registered yet asks nothing and answers COORDINATOR_LOAD_IN_PROGRESS", async () => {
    const ctl = new InstantController();
    const lines: string[] = [];
    const shell = await ProducerIdShell.open(
      await storageOn(new MemoryDisk()),
      undefined,
      (line) => lines.push(line),
      { brokerId: 1, controller: { request: (input) => ctl.request(input), brokerEpochValue: -1 } },
    );
    const answer = await shell.initProducerId(null, 60_000, -1, -1);
    expect(answer.errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(ctl.inputs).toEqual([]);
    expect(lines.join("\n")).toContain("not registered with the controller yet");
  });

  test("a stale broker epoch is refused by the controller and no id is handed out", async () => {
    const ctl = new InstantController();
    await ctl.broker(1);
    const shell = await ProducerIdShell.open(await storageOn(new MemoryDisk()), undefined, () => {}, {
      brokerId: 1,
      controller: { request: (input) => ctl.request(input), brokerEpochValue: 0 },
    });
    const answer = await shell.initProducerId(null, 60_000, -1, -1);
    expect(answer.errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect("nextProducerId" in ctl.state.image).toBe(false);
  });
});
