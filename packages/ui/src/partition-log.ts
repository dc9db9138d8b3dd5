/**
 * A partition's replicas drawn as logs: one bar per replica on a shared offset scale, from its log
 * start to its log end, filled up to the high watermark (committed: every in-sync replica has it)
 * and open above it (appended, not yet committed), a replica outside the ISR dashed and a replica
 * that is down named so, without a bar. Beside the picture, the same in words: a caption with the
 * leader, leader epoch, ISR and placed replicas, and a table of each replica's role, leader epoch,
 * log start, log end, high watermark and the ISR it knows. The studio draws every partition of its
 * topic with it, the console each partition of a topic. Owns that picture and wording; it must
 * never know where the data came from.
 */
import { liveness, nameList, tableOf } from "./elements.ts";
import { h, type UiChild, type UiElement } from "./tree.ts";

/** Replicas drawn per partition at most (Kafka's replication factor is rarely above 5). */
export const replicasDrawnMax = 16;

export interface ReplicaLogData {
  /** The broker holding it, as the apps name it: `b1`. */
  readonly name: string;
  readonly up: boolean;
  /** "leader" or "follower" in the replica's own eyes; anything else is shown as it is. */
  readonly role: string;
  /** The leader epoch this replica knows; null when the app cannot read it. */
  readonly leaderEpoch: number | null;
  /** Offsets of this replica's own log; null when the app cannot read them (another broker's log). */
  readonly logStartOffset: number | null;
  readonly highWatermark: number | null;
  readonly logEndOffset: number | null;
  /** The ISR this replica knows (the leader's is the one that counts); null when not known. */
  readonly isrKnown: readonly string[] | null;
}

export interface PartitionLogData {
  /** The topic, written in the caption when given. */
  readonly topic: string | null;
  readonly partition: number;
  /** The leader's name in the newest committed metadata; null when there is none. */
  readonly leader: string | null;
  readonly leaderEpoch: number;
  readonly isr: readonly string[];
  /** The placed replicas, preferred leader first. */
  readonly placed: readonly string[];
  readonly replicas: readonly ReplicaLogData[];
  /** A sentence the app adds after the caption's facts ("1.2 KiB in 1 segment on b1"). */
  readonly note: string | null;
}

const labelPx = 150;
/** An estimate of one character's width in the picture's 12 px system font, to size the note column. */
const charPx = 7;
const barPx = 300;
const rowPx = 34;
const barHeightPx = 16;

function known(r: ReplicaLogData): boolean {
  return r.logStartOffset !== null && r.logEndOffset !== null && r.highWatermark !== null;
}

/** The caption in words: what the newest committed metadata says of the partition. */
export function partitionCaption(data: PartitionLogData): string {
  const name =
    data.topic === null ? `Partition ${data.partition}` : `${data.topic} partition ${data.partition}`;
  const facts = `${name}: leader ${data.leader ?? "none yet"}, leader epoch ${data.leaderEpoch}, ISR ${nameList(data.isr)}, replicas placed ${nameList(data.placed)}`;
  return data.note === null ? facts : `${facts}; ${data.note}`;
}

/** What the picture writes right of a replica's bar. */
function noteOf(r: ReplicaLogData, inIsr: boolean): string {
  const outside = inIsr ? "" : ", not in ISR";
  // A replica that is down shows what its broker last reported (the simulator's a crashed node's empty
  // state), which is no log at all; it is named down rather than drawn as an empty bar.
  if (!r.up) return `down: log not drawn${outside}`;
  if (!known(r)) return `log not read here${outside}`;
  return `${r.logStartOffset}..${r.logEndOffset}, HW ${r.highWatermark}${outside}`;
}

function replicaRow(r: ReplicaLogData, i: number, inIsr: boolean, x: (offset: number) => number): UiElement {
  const y = 20 + i * rowPx;
  const label = `${r.name} ${r.up ? r.role : "down"}`;
  const parts: UiChild[] = [
    h(
      "text",
      { x: "4", y: String(y + 13), class: r.role === "leader" && r.up ? "log-name leader" : "log-name" },
      [label],
    ),
  ];
  if (!r.up || !known(r)) {
    parts.push(h("text", { x: String(labelPx), y: String(y + 13), class: "log-note" }, [noteOf(r, inIsr)]));
    return h("g", { "data-replica": r.name }, parts);
  }
  const start = r.logStartOffset!;
  const end = r.logEndOffset!;
  const hw = Math.min(r.highWatermark!, end);
  const state = inIsr ? "in-isr" : "out-of-isr";
  parts.push(
    h("rect", {
      class: `log-open ${state}`,
      x: x(start).toFixed(1),
      y: String(y),
      width: Math.max(1, x(end) - x(start)).toFixed(1),
      height: String(barHeightPx),
    }),
  );
  if (hw > start) {
    parts.push(
      h("rect", {
        class: `log-committed ${state}`,
        x: x(start).toFixed(1),
        y: String(y),
        width: (x(hw) - x(start)).toFixed(1),
        height: String(barHeightPx),
      }),
    );
  }
  parts.push(
    h("line", {
      class: "log-hw",
      x1: x(hw).toFixed(1),
      x2: x(hw).toFixed(1),
      y1: String(y - 3),
      y2: String(y + barHeightPx + 3),
    }),
    h("text", { x: String(labelPx + barPx + 10), y: String(y + 13), class: "log-note" }, [noteOf(r, inIsr)]),
  );
  return h("g", { "data-replica": r.name }, parts);
}

/** The replicas' logs as an SVG picture on one offset scale, with a legend. */
function picture(data: PartitionLogData): UiElement {
  const replicas = data.replicas.slice(0, replicasDrawnMax);
  const drawn = replicas.filter((r) => r.up && known(r));
  const low = Math.min(0, ...drawn.map((r) => r.logStartOffset!));
  const high = Math.max(1, ...drawn.map((r) => Math.max(r.logEndOffset!, r.highWatermark!)));
  const x = (offset: number) => labelPx + ((offset - low) / (high - low)) * barPx;
  const legendY = 20 + replicas.length * rowPx + 6;
  const heightPx = legendY + 20;
  const isr = new Set(data.isr);
  // Wide enough for the longest note, so large offsets never run off the picture's edge.
  const notePx = Math.max(200, ...replicas.map((r) => noteOf(r, isr.has(r.name)).length * charPx));
  const widthPx = Math.ceil(labelPx + barPx + 10 + notePx);
  return h(
    "svg",
    {
      class: "partition-log",
      viewBox: `0 0 ${widthPx} ${heightPx}`,
      width: String(widthPx),
      height: String(heightPx),
      role: "img",
      "aria-label": `${partitionCaption(data)}; each replica's log from log start to log end, filled up to the high watermark`,
    },
    [
      h("text", { x: String(labelPx), y: "12", class: "log-note" }, [`offset ${low}`]),
      h("text", { x: String(labelPx + barPx), y: "12", class: "log-note", "text-anchor": "end" }, [
        `offset ${high}`,
      ]),
      ...replicas.map((r, i) => replicaRow(r, i, isr.has(r.name), x)),
      h("rect", { class: "log-committed in-isr", x: "4", y: String(legendY), width: "14", height: "10" }),
      h("text", { x: "22", y: String(legendY + 9), class: "log-note" }, [
        "below the high watermark: committed",
      ]),
      h("rect", { class: "log-open in-isr", x: "290", y: String(legendY), width: "14", height: "10" }),
      h("text", { x: "308", y: String(legendY + 9), class: "log-note" }, [
        "above it: appended, not yet committed",
      ]),
    ],
  );
}

const dash = (n: number | null): string | number => n ?? "-";

/**
 * One partition: its replicas as logs and, beside them, in words (the caption and the replicas'
 * table). The root carries `data-partition`; `tableAttrs` go on the table.
 */
export function partitionLog(data: PartitionLogData, tableAttrs: Record<string, string> = {}): UiElement {
  if (data.replicas.length > replicasDrawnMax) {
    throw new Error(
      `ui: partition ${data.partition} has ${data.replicas.length} replicas, more than ${replicasDrawnMax}`,
    );
  }
  const words = tableOf(
    partitionCaption(data),
    ["replica", "liveness", "role", "leader epoch", "log start", "log end", "high watermark", "ISR it knows"],
    data.replicas.map((r) => [
      r.name,
      liveness(r.up ? "up" : "down"),
      h("span", { class: r.role === "leader" ? "leader" : "", "data-role": r.role }, [r.role]),
      dash(r.leaderEpoch),
      dash(r.logStartOffset),
      dash(r.logEndOffset),
      dash(r.highWatermark),
      r.isrKnown === null ? "-" : nameList(r.isrKnown),
    ]),
    tableAttrs,
  );
  return h("div", { class: "ui-view partition-view", "data-partition": String(data.partition) }, [
    h("div", { class: "ui-picture" }, [picture(data)]),
    h("div", { class: "ui-words" }, [words]),
  ]);
}
