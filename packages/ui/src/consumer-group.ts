/**
 * A consumer group: a sentence with its coordinator state, generation and members and each
 * partition's committed offset and lag, then a picture of the partitions (a bar to the high
 * watermark, filled up to the committed offset, the rest, the lag, marked), then in words the
 * committed offsets and lag per partition and the members with what each is assigned. Lag is the
 * studio's "high watermark minus committed", never below zero, unknown without a commit. The studio
 * draws each group of its run with it, the console one group. Owns that picture and wording; it must
 * never know where the data came from.
 */
import { tableOf } from "./elements.ts";
import { h, type UiElement } from "./tree.ts";

/** Partitions drawn per group at most; more are listed in the table only. */
export const groupPartitionsDrawnMax = 64;

export interface GroupMemberData {
  /** The member as the app names it (`k0`, or a member id). */
  readonly name: string;
  /** What it is assigned, in words (`p0`, `orders-1`); empty: idle. */
  readonly assigned: readonly string[];
  /** More cells, one per `GroupData.memberColumns` entry, in that order. */
  readonly cells: readonly (string | number)[];
}

export interface GroupOffsetData {
  /** The topic, or null where the app's run has one topic (the partition is then written `p0`). */
  readonly topic: string | null;
  readonly partition: number;
  /** The committed offset; null when the group has committed none. */
  readonly committed: number | null;
  /** The partition's high watermark; null when the app cannot read it. */
  readonly highWatermark: number | null;
  /** The member that owns it now, if any. */
  readonly owner: string | null;
}

export interface GroupData {
  readonly id: string;
  /** The coordinator's state (Stable, PreparingRebalance, Empty...). */
  readonly state: string;
  /** The generation; null when the app cannot read it. */
  readonly generation: number | null;
  /** Members the coordinator counts (a member that is leaving may still be listed by a client). */
  readonly memberCount: number;
  /** The column names of each member's `cells`. */
  readonly memberColumns: readonly string[];
  readonly members: readonly GroupMemberData[];
  readonly offsets: readonly GroupOffsetData[];
}

/** The studio's lag: high watermark minus committed, never below zero; null when either is unknown. */
export function lagOf(o: GroupOffsetData): number | null {
  return o.committed === null || o.highWatermark === null ? null : Math.max(0, o.highWatermark - o.committed);
}

function partitionName(o: GroupOffsetData): string {
  return o.topic === null ? `p${o.partition}` : `${o.topic}-${o.partition}`;
}

/** The group in one sentence, as the studio has always written it. */
export function groupSentence(g: GroupData): string {
  const generation = g.generation === null ? "" : `, generation ${g.generation}`;
  const members = `${g.memberCount} member${g.memberCount === 1 ? "" : "s"}`;
  const offsets =
    g.offsets
      .map((o) => {
        const lag = lagOf(o);
        return `${partitionName(o)} ${o.committed === null ? "none" : `${o.committed}, lag ${lag ?? "unknown"}`}`;
      })
      .join("; ") || "none";
  return `Group ${g.id}: coordinator state ${g.state}${generation}, ${members}. Committed offsets and lag (high watermark minus committed): ${offsets}.`;
}

const barPx = 330;
const rowPx = 26;
/** A member id in the picture is cut to this many characters; the table beside it has it whole. */
const ownerCharsMax = 40;
/** An estimate of one character's width in the picture's 12-13 px system font, to size its columns. */
const charPx = 7.5;

function shortened(text: string): string {
  return text.length <= ownerCharsMax ? text : `${text.slice(0, ownerCharsMax - 1)}…`;
}

function picture(g: GroupData): UiElement {
  const drawn = g.offsets.slice(0, groupPartitionsDrawnMax);
  const high = Math.max(1, ...drawn.map((o) => o.highWatermark ?? o.committed ?? 0));
  const notes = drawn.map((o) => {
    const owner = o.owner === null ? "no owner" : `owned by ${shortened(o.owner)}`;
    return `${o.committed === null ? "nothing committed" : `lag ${lagOf(o) ?? "unknown"}`}, ${owner}`;
  });
  // The columns fit the longest partition name and note, so neither runs under the bars or off the edge.
  const labelPx = Math.ceil(Math.max(60, ...drawn.map((o) => partitionName(o).length * charPx + 12)));
  const widthPx = Math.ceil(labelPx + barPx + 10 + Math.max(200, ...notes.map((n) => n.length * charPx)));
  const x = (offset: number) => labelPx + (offset / high) * barPx;
  const legendY = 8 + drawn.length * rowPx;
  const heightPx = legendY + 20;
  const rows = drawn.map((o, i) => {
    const y = 8 + i * rowPx;
    const hw = o.highWatermark ?? 0;
    const committed = Math.min(o.committed ?? 0, hw);
    return h("g", { "data-offsets": partitionName(o) }, [
      h("text", { x: "4", y: String(y + 12), class: "log-name" }, [partitionName(o)]),
      h("rect", {
        class: "group-hw",
        x: String(labelPx),
        y: String(y),
        width: (x(hw) - labelPx).toFixed(1),
        height: "14",
      }),
      h("rect", {
        class: "group-consumed",
        x: String(labelPx),
        y: String(y),
        width: (x(committed) - labelPx).toFixed(1),
        height: "14",
      }),
      h("text", { x: String(labelPx + barPx + 10), y: String(y + 12), class: "log-note" }, [notes[i]!]),
    ]);
  });
  return h(
    "svg",
    {
      class: "group-lag",
      viewBox: `0 0 ${widthPx} ${heightPx}`,
      width: String(widthPx),
      height: String(heightPx),
      role: "img",
      "aria-label": `Group ${g.id}: each partition up to its high watermark, filled up to the committed offset; the rest is the lag`,
    },
    [
      ...rows,
      h("rect", { class: "group-consumed", x: "4", y: String(legendY), width: "14", height: "10" }),
      h("text", { x: "22", y: String(legendY + 9), class: "log-note" }, ["committed (read and committed)"]),
      h("rect", { class: "group-hw", x: "260", y: String(legendY), width: "14", height: "10" }),
      h("text", { x: "278", y: String(legendY + 9), class: "log-note" }, ["lag: up to the high watermark"]),
    ],
  );
}

export interface GroupViewAttrs {
  /** Attributes of the sentence (`data-testid`), the offsets table and the members table. */
  readonly sentence?: Record<string, string>;
  readonly offsets?: Record<string, string>;
  readonly members?: Record<string, string>;
}

/** One group: the sentence, the picture of its partitions, and in words its offsets and members. */
export function consumerGroup(g: GroupData, attrs: GroupViewAttrs = {}): UiElement {
  for (const m of g.members) {
    if (m.cells.length !== g.memberColumns.length) {
      throw new Error(
        `ui: member ${m.name} of group ${g.id} has ${m.cells.length} cells for ${g.memberColumns.length} columns`,
      );
    }
  }
  const withTopic = g.offsets.some((o) => o.topic !== null);
  const offsets = tableOf(
    "Committed offsets and lag",
    [...(withTopic ? ["topic"] : []), "partition", "committed offset", "high watermark", "lag", "member"],
    g.offsets.map((o) => [
      ...(withTopic ? [o.topic ?? "-"] : []),
      o.topic === null ? `p${o.partition}` : o.partition,
      o.committed ?? "none",
      o.highWatermark ?? "-",
      lagOf(o) ?? "-",
      o.owner ?? "-",
    ]),
    attrs.offsets ?? {},
  );
  const members = tableOf(
    g.members.length === 0 ? `Members of ${g.id}: none connected` : `Members of ${g.id}`,
    ["member", ...g.memberColumns, "assigned partitions"],
    g.members.map((m) => [m.name, ...m.cells, m.assigned.join(", ") || "none (idle)"]),
    attrs.members ?? {},
  );
  return h("div", { class: "group-view", "data-group": g.id }, [
    h("p", attrs.sentence ?? {}, [groupSentence(g)]),
    h("div", { class: "ui-view" }, [
      h("div", { class: "ui-picture" }, [picture(g)]),
      h("div", { class: "ui-words" }, [offsets, members]),
    ]),
  ]);
}
