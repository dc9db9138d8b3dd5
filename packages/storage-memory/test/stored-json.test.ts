/**
 * Stored JSON that does not decode is refused with an error naming the file and the field, and the
 * state store leaves the file as it was: a committed-offsets file with a wrong type, truncated JSON
 * or a missing field fails the read and any commit to that group, and its bytes stay unchanged.
 */
import { describe, expect, test } from "bun:test";
import { decodeStoredJson, StateStore } from "@eddy/storage";
import * as Effect from "effect/Effect";
import * as Schema from "effect/Schema";
import { layerMemory, MemoryDisk, memoryDataDir } from "../src/index.ts";

const encoder = new TextEncoder();

/** The message of the error `run` fails with. */
async function failureOf(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected a failure");
}

describe("decodeStoredJson", () => {
  const Shape = Schema.Struct({
    topics: Schema.Record(
      Schema.String,
      Schema.Struct({ partitions: Schema.Array(Schema.Struct({ leader: Schema.Int })) }),
    ),
  });

  test("names the source, the field, what it expected and what it held", async () => {
    const bytes = encoder.encode(JSON.stringify({ topics: { orders: { partitions: [{ leader: "x" }] } } }));
    expect(await failureOf(() => decodeStoredJson(Shape, "snapshot /d/s.checkpoint", bytes))).toBe(
      'Corrupt: snapshot /d/s.checkpoint: field topics.orders.partitions[0].leader: expected number, got "x"',
    );
  });

  test("truncated JSON, an empty file, a missing field and an unknown field are refused", async () => {
    const whole = JSON.stringify({ topics: { orders: { partitions: [{ leader: 1 }] } } });
    expect(
      await failureOf(() => decodeStoredJson(Shape, "f", encoder.encode(whole.slice(0, 20)))),
    ).toStartWith("Corrupt: f: not valid JSON (truncated or overwritten?)");
    expect(await failureOf(() => decodeStoredJson(Shape, "f", new Uint8Array(0)))).toBe(
      "Corrupt: f: the file is empty, expected JSON",
    );
    const missing = encoder.encode(JSON.stringify({ topics: { orders: {} } }));
    expect(await failureOf(() => decodeStoredJson(Shape, "f", missing))).toBe(
      "Corrupt: f: field topics.orders.partitions: missing key",
    );
    // An unknown field is refused rather than dropped: decoding must never lose what is stored.
    const extra = encoder.encode(JSON.stringify({ topics: {}, later: 1 }));
    expect(await failureOf(() => decodeStoredJson(Shape, "f", extra))).toBe(
      "Corrupt: f: field later: not a field this version of Eddy knows (refused, not dropped), got 1",
    );
  });
});

describe("committed offsets file", () => {
  const path = `${memoryDataDir}/eddy-state/groups/g-${Buffer.from("g1").toString("hex")}.json`;
  const valid = {
    groupId: "g1",
    offsets: [{ topic: "t", partition: 0, offset: 5, leaderEpoch: -1, metadata: "", commitTimestampMs: 1 }],
  };
  const cases: ReadonlyArray<{ name: string; text: string; message: string }> = [
    {
      name: "a wrong type",
      text: JSON.stringify({ ...valid, offsets: [{ ...valid.offsets[0], offset: "x" }] }),
      message: `Corrupt: committed offsets ${path}: field offsets[0].offset: expected number, got "x"`,
    },
    {
      name: "truncated JSON",
      text: JSON.stringify(valid).slice(0, 30),
      message: `Corrupt: committed offsets ${path}: not valid JSON (truncated or overwritten?)`,
    },
    {
      name: "a missing field",
      text: JSON.stringify({ groupId: "g1" }),
      message: `Corrupt: committed offsets ${path}: field offsets: missing key`,
    },
    {
      name: "another group's id",
      text: JSON.stringify({ ...valid, groupId: "g2" }),
      message: `Corrupt: committed offsets ${path}: field groupId: expected "g1" (the group the file is named for), got "g2"`,
    },
  ];
  for (const c of cases) {
    test(`${c.name}: reads and commits fail naming the file and field; the file is unchanged`, async () => {
      const disk = new MemoryDisk();
      disk.makeDir(`${memoryDataDir}/eddy-state/groups`);
      disk.writeAtomicNow(path, encoder.encode(c.text));
      const run = <A>(f: (state: StateStore["Service"]) => Effect.Effect<A, unknown>) =>
        Effect.runPromise(Effect.provide(StateStore.use(f), layerMemory({ disk })));
      expect(await failureOf(() => run((state) => state.groupOffsets("g1")))).toStartWith(c.message);
      const commit = {
        topic: "t",
        partition: 1,
        offset: 9,
        leaderEpoch: -1,
        metadata: "",
        commitTimestampMs: 2,
      };
      expect(await failureOf(() => run((state) => state.commitGroupOffsets("g1", [commit])))).toStartWith(
        c.message,
      );
      expect(new TextDecoder().decode(disk.readAll(path) ?? new Uint8Array(0))).toBe(c.text);
    });
  }
});
