/**
 * Each shared view given plain data, written as HTML text and read back: the broker cards and their
 * table (liveness, roles, the active controller, facts), a partition's replicas as logs (bar lengths
 * follow the offsets, the committed part ends at the high watermark, a replica outside the ISR is
 * marked, unknown offsets are said so) and a consumer group (the sentence, lag as high watermark
 * minus committed, members and assignments). A property: the committed bar never passes the open one.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  brokerCards,
  consumerGroup,
  findAll,
  type GroupData,
  lagOf,
  type PartitionLogData,
  partitionLog,
  textOf,
  toHtml,
  type UiElement,
} from "../src/index.ts";

const byClass = (root: UiElement, cls: string) =>
  findAll(root, (e) => (e.attrs.class ?? "").split(" ").includes(cls));
const rowsOf = (root: UiElement) =>
  findAll(root, (e) => e.tag === "tbody")
    .flatMap((b) => b.children as UiElement[])
    .map(textOf);

describe("broker cards", () => {
  const view = brokerCards(
    {
      caption: "Brokers",
      factLabels: ["address"],
      nodes: [
        { name: "b0", roles: ["broker"], liveness: "up", activeController: false, facts: ["127.0.0.1:9092"] },
        {
          name: "b1",
          roles: ["broker", "controller"],
          liveness: "up",
          activeController: true,
          facts: ["h:9093"],
        },
        { name: "b2", roles: ["broker"], liveness: "fenced", activeController: false, facts: ["h:9094"] },
      ],
    },
    { id: "brokers" },
  );

  test("one card per node: name, roles, liveness, the active controller and facts", () => {
    const cards = byClass(view, "broker-card");
    expect(cards.map(textOf)).toEqual([
      "b0brokerupaddress: 127.0.0.1:9092",
      "b1broker + controllerupactive controlleraddress: h:9093",
      "b2brokerfencedaddress: h:9094",
    ]);
    expect(cards.map((c) => c.attrs.class)).toEqual([
      "broker-card is-up",
      "broker-card is-up is-active",
      "broker-card is-down",
    ]);
  });

  test("beside the cards, the same in words as a table carrying the app's id", () => {
    const html = toHtml(view);
    expect(html).toContain('<table id="brokers"><caption>Brokers</caption>');
    expect(rowsOf(view)).toEqual([
      "b0brokerup127.0.0.1:9092",
      "b1broker, controllerupactive controllerh:9093",
      "b2brokerfencedh:9094",
    ]);
    expect(findAll(view, (e) => e.tag === "th").map(textOf)).toEqual([
      "node",
      "roles",
      "liveness",
      "controller",
      "address",
    ]);
  });

  test("a node whose facts do not match the labels is refused, naming it", () => {
    expect(() =>
      brokerCards({
        caption: "Brokers",
        factLabels: ["address", "rack"],
        nodes: [{ name: "b3", roles: ["broker"], liveness: "up", activeController: false, facts: ["x"] }],
      }),
    ).toThrow("b3 has 1 facts for 2 labels (address, rack)");
  });
});

const partition: PartitionLogData = {
  topic: "orders",
  partition: 0,
  leader: "b0",
  leaderEpoch: 3,
  isr: ["b0", "b2"],
  placed: ["b0", "b1", "b2"],
  note: null,
  replicas: [
    {
      name: "b0",
      up: true,
      role: "leader",
      leaderEpoch: 3,
      logStartOffset: 0,
      highWatermark: 80,
      logEndOffset: 100,
      isrKnown: ["b0", "b2"],
    },
    {
      name: "b1",
      up: true,
      role: "follower",
      leaderEpoch: 2,
      logStartOffset: 0,
      highWatermark: 40,
      logEndOffset: 50,
      isrKnown: ["b0", "b1", "b2"],
    },
    {
      name: "b2",
      up: false,
      role: "follower",
      leaderEpoch: null,
      logStartOffset: null,
      highWatermark: null,
      logEndOffset: null,
      isrKnown: null,
    },
  ],
};

describe("partition log", () => {
  const view = partitionLog(partition, { id: "p0" });

  test("the caption and the table say the partition in the studio's words", () => {
    expect(view.attrs["data-partition"]).toBe("0");
    expect(textOf(findAll(view, (e) => e.tag === "caption")[0]!)).toBe(
      "orders partition 0: leader b0, leader epoch 3, ISR [b0, b2], replicas placed [b0, b1, b2]",
    );
    expect(rowsOf(view)).toEqual([
      "b0upleader3010080[b0, b2]",
      "b1upfollower205040[b0, b1, b2]",
      "b2downfollower-----",
    ]);
    expect(toHtml(view)).toContain('<span class="leader" data-role="leader">leader</span>');
  });

  test("each replica's bar spans log start to log end on one scale; the committed part ends at the HW", () => {
    const open = byClass(view, "log-open");
    const committed = byClass(view, "log-committed").filter(
      (e) => e.attrs.y !== undefined && e.attrs.x !== "4",
    );
    // The scale is 0..100 over 300 px from x = 150: b0 ends at 450, b1 at 300; HWs at 390 and 270.
    expect(open.slice(0, 2).map((r) => [r.attrs.x, r.attrs.width])).toEqual([
      ["150.0", "300.0"],
      ["150.0", "150.0"],
    ]);
    expect(committed.slice(0, 2).map((r) => r.attrs.width)).toEqual(["240.0", "120.0"]);
    expect(byClass(view, "log-hw").map((l) => l.attrs.x1)).toEqual(["390.0", "270.0"]);
  });

  test("a replica outside the ISR is dashed and named so; one down or whose log is not known says so", () => {
    const labels = byClass(view, "log-name").map(textOf);
    expect(labels).toEqual(["b0 leader", "b1 follower", "b2 down"]);
    expect(byClass(view, "log-note").map(textOf).slice(2, 4)).toEqual([
      "0..100, HW 80",
      "0..50, HW 40, not in ISR",
    ]);
    expect(byClass(view, "out-of-isr").length).toBe(2);
    const b2 = findAll(view, (e) => e.attrs["data-replica"] === "b2")[0]!;
    expect(textOf(b2)).toBe("b2 downdown: log not drawn");
    const unread = partitionLog({ ...partition, replicas: [{ ...partition.replicas[2]!, up: true }] });
    expect(byClass(unread, "log-note").map(textOf)).toContain("log not read here");
  });

  test("an app's note follows the caption's facts", () => {
    const noted = partitionLog({ ...partition, note: "1.2 KiB in 1 segment on b0" });
    expect(textOf(findAll(noted, (e) => e.tag === "caption")[0]!)).toEndWith(
      "replicas placed [b0, b1, b2]; 1.2 KiB in 1 segment on b0",
    );
  });

  test("property: the committed bar starts with the open one and never passes it", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(1_000), fc.nat(1_000), fc.nat(1_000)), { minLength: 1, maxLength: 5 }),
        (logs) => {
          const replicas = logs.map(([start, a, b], i) => {
            const end = start + Math.max(a, b);
            return {
              name: `b${i}`,
              up: true,
              role: i === 0 ? "leader" : "follower",
              leaderEpoch: 1,
              logStartOffset: start,
              highWatermark: start + Math.min(a, b),
              logEndOffset: end,
              isrKnown: [],
            };
          });
          const drawn = partitionLog({ ...partition, replicas, isr: replicas.map((r) => r.name) });
          for (const r of replicas) {
            const g = findAll(drawn, (e) => e.attrs["data-replica"] === r.name)[0]!;
            const open = byClass(g, "log-open")[0]!;
            const committed = byClass(g, "log-committed")[0];
            if (committed === undefined) continue;
            expect(committed.attrs.x).toBe(open.attrs.x);
            expect(Number(committed.attrs.width)).toBeLessThanOrEqual(Number(open.attrs.width) + 0.05);
          }
        },
      ),
    );
  });
});

const group: GroupData = {
  id: "billing",
  state: "Stable",
  generation: 4,
  memberCount: 2,
  memberColumns: ["client id"],
  members: [
    { name: "k0", assigned: ["orders-0"], cells: ["kcat"] },
    { name: "k1", assigned: [], cells: ["kcat"] },
  ],
  offsets: [
    { topic: "orders", partition: 0, committed: 50, highWatermark: 200, owner: "k0" },
    { topic: "orders", partition: 1, committed: null, highWatermark: 10, owner: null },
  ],
};

describe("consumer group", () => {
  const view = consumerGroup(group, {
    sentence: { "data-testid": "group-state-billing" },
    offsets: { id: "group-offsets" },
    members: { id: "group-members" },
  });

  test("the sentence: state, generation, members, committed offsets and lag", () => {
    const sentence = findAll(view, (e) => e.attrs["data-testid"] === "group-state-billing")[0]!;
    expect(textOf(sentence)).toBe(
      "Group billing: coordinator state Stable, generation 4, 2 members. Committed offsets and lag (high watermark minus committed): orders-0 50, lag 150; orders-1 none.",
    );
  });

  test("in words: offsets with lag, members with their assignments (idle said so)", () => {
    expect(rowsOf(view)).toEqual([
      "orders050200150k0",
      "orders1none10--",
      "k0kcatorders-0",
      "k1kcatnone (idle)",
    ]);
    expect(toHtml(view)).toContain('<table id="group-offsets">');
    expect(toHtml(view)).toContain('<table id="group-members"><caption>Members of billing</caption>');
  });

  test("the picture: the committed part of each bar against the high watermark, the lag written", () => {
    const rows = findAll(view, (e) => e.attrs["data-offsets"] !== undefined);
    expect(rows.map(textOf)).toEqual(["orders-0lag 150, owned by k0", "orders-1nothing committed, no owner"]);
    // Scale 0..200 over 330 px from x = 90: orders-0's HW bar 330 px, its committed part 82.5 px.
    const consumed = byClass(rows[0]!, "group-consumed")[0]!;
    const hw = byClass(rows[0]!, "group-hw")[0]!;
    expect([hw.attrs.width, consumed.attrs.width]).toEqual(["330.0", "82.5"]);
  });

  test("a long member id is cut in the picture, whole in the table; the picture widens for its notes", () => {
    const id = `rdkafka-${"0123456789".repeat(6)}`;
    const long = consumerGroup({
      ...group,
      offsets: [
        {
          topic: "a-rather-long-topic-name",
          partition: 12,
          committed: 1,
          highWatermark: 9_000_000,
          owner: id,
        },
      ],
    });
    const note = textOf(byClass(long, "log-note")[0]!);
    expect(note).toBe(`lag 8999999, owned by ${id.slice(0, 39)}…`);
    expect(rowsOf(long)[0]).toContain(id);
    const svg = findAll(long, (e) => e.tag === "svg")[0]!;
    const label = findAll(svg, (e) => e.tag === "rect")[0]!;
    // The bar starts right of the longest partition name, and the note fits inside the picture.
    expect(Number(label.attrs.x)).toBeGreaterThanOrEqual("a-rather-long-topic-name-12".length * 7);
    expect(Number(svg.attrs.width)).toBeGreaterThanOrEqual(Number(label.attrs.x) + 330 + note.length * 7);
  });

  test("lag is high watermark minus committed, never below zero, unknown without both", () => {
    expect(lagOf({ topic: null, partition: 0, committed: 5, highWatermark: 3, owner: null })).toBe(0);
    expect(lagOf({ topic: null, partition: 0, committed: null, highWatermark: 3, owner: null })).toBeNull();
    expect(lagOf({ topic: null, partition: 0, committed: 2, highWatermark: null, owner: null })).toBeNull();
  });

  test("a one-topic run writes partitions as p0 and leaves the topic column out", () => {
    const single = consumerGroup({
      ...group,
      generation: null,
      offsets: [{ topic: null, partition: 0, committed: 1, highWatermark: 4, owner: "k0" }],
    });
    expect(textOf(single.children[0] as UiElement)).toBe(
      "Group billing: coordinator state Stable, 2 members. Committed offsets and lag (high watermark minus committed): p0 1, lag 3.",
    );
    expect(findAll(single, (e) => e.tag === "th").map(textOf)[0]).toBe("partition");
  });
});
