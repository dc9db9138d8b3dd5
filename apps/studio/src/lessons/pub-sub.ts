/**
 * Lesson: publish-subscribe against point-to-point with consumer groups. Within group g each
 * partition has one reader, so each record goes to one member (a queue, point to point); a second
 * group g2 reads the same topic from the start with its own assignment and committed offsets, without
 * disturbing g (publish-subscribe: every group gets every record). Owns this lesson's script, text and
 * checks; it must never step a run.
 */
import { kafkaClusterWith } from "@eddy/sim";
import type { CheckContext, Lesson } from "./lesson.ts";
import { quietConfig } from "./teaching-run.ts";

const secondGroup = "g2";

function groupOf(ctx: CheckContext, id: string) {
  return ctx.view.groups.find((g) => g.id === id);
}

/** Values read by each group: value -> how many distinct members of the group read it. */
function readersPerValue(ctx: CheckContext, group: string): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  for (const r of ctx.history.polls) {
    if (r.group !== group) continue;
    const readers = out.get(r.value) ?? new Set<string>();
    readers.add(r.consumer);
    out.set(r.value, readers);
  }
  return out;
}

export const pubSub: Lesson = {
  id: "pub-sub",
  title: "Publish-subscribe against point-to-point: consumer groups",
  narration: [
    "A consumer group shares a topic's partitions among its members: each partition has one reader in the group, so each record goes to one member. Within a group, a topic behaves like a queue (point to point).",
    "At 4 s and 4.5 s consumers k2 and k3 start in a second group, g2. Group g is not disturbed: no rebalance, the same generation. g2 gets its own generation, its own assignment and its own committed offsets, and starts from the beginning of each partition because it has committed nothing yet.",
    "So every group receives every record (publish-subscribe), and inside each group every record goes to one member. Adding groups costs the brokers reads, not copies: the records are stored once.",
  ],
  seed: "9",
  config: (seed) => quietConfig(seed),
  factory: kafkaClusterWith({ spareConsumers: 2, consumerChurn: false, spareGroup: secondGroup }),
  script: [
    { atMs: 4_000, input: { kind: "addConsumer" }, say: "k2 starts in group g2." },
    { atMs: 4_500, input: { kind: "addConsumer" }, say: "k3 starts in group g2." },
  ],
  checks() {
    let gGeneration = -1;
    return [
      {
        text: "Group g is Stable: k0 and k1, one partition each.",
        holds: (ctx) => {
          const g = groupOf(ctx, "g");
          const ok =
            g?.state === "Stable" &&
            ctx.view.consumers.filter((k) => k.group === "g" && k.assigned.length === 1).length === 2;
          if (ok) gGeneration = g!.generation;
          return ok;
        },
      },
      {
        text: "Group g2 formed beside it: k2 and k3, one partition each, in their own generation.",
        holds: (ctx) =>
          groupOf(ctx, secondGroup)?.state === "Stable" &&
          ctx.view.consumers.filter((k) => k.group === secondGroup && k.assigned.length === 1).length === 2,
      },
      {
        text: "Group g was not disturbed: still Stable in the same generation.",
        holds: (ctx) =>
          gGeneration >= 0 &&
          groupOf(ctx, secondGroup)?.state === "Stable" &&
          groupOf(ctx, secondGroup)?.members === 2 &&
          groupOf(ctx, "g")?.state === "Stable" &&
          groupOf(ctx, "g")?.generation === gGeneration,
      },
      {
        text: "g2 started from offset 0 and read records g had read long before it existed.",
        holds: (ctx) => {
          const early = ctx.history.polls.filter((r) => r.group === secondGroup && r.offset === 0);
          return early.length === 2;
        },
      },
      {
        text: "Each record g read went to one member of g, and g2 read it too, with one member of g2.",
        holds: (ctx) => {
          const g = readersPerValue(ctx, "g");
          const g2 = readersPerValue(ctx, secondGroup);
          const both = [...g.keys()].filter((v) => g2.has(v));
          return both.length >= 20 && both.every((v) => g.get(v)!.size === 1 && g2.get(v)!.size === 1);
        },
      },
      {
        text: "Each group has its own committed offsets for the same partitions.",
        holds: (ctx) => {
          const committed = ["g", secondGroup].map((id) => groupOf(ctx, id)?.committed ?? []);
          return committed.every((offsets) => offsets.length > 0 && offsets.every((c) => c >= 0));
        },
      },
    ];
  },
};
