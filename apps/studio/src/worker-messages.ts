/**
 * The messages between the studio's page and its simulation worker, as plain data (structured clone).
 * The page asks; the worker answers every request with one `Snapshot`. Owns the shapes only; it
 * must never hold behaviour, so both sides can import it without pulling in the other.
 */
import type { ClusterView, LearnerInput, RunPhase } from "@eddy/sim";

/** Trace lines a snapshot carries at most (the view's "last N events"). */
export const traceTailLinesMax = 30;
/** Characters of one trace summary at most, so a large message never floods the page. */
export const traceSummaryCharsMax = 160;
/** Steps one request may ask for at most, so the worker always answers within a frame or few. */
export const stepsPerRequestMax = 5_000;
/** Steps a link may ask to open at (`?step=K`); a whole run is a few thousand. */
export const openStepMax = 1_000_000;

/** Messages in flight a snapshot carries at most (the drawing's moving dots). */
export const messagesInFlightMax = 48;

/** Client rows a snapshot carries at most (the client view's "last N requests"). */
export const clientRowsShownMax = 25;

export type Request =
  /** Opens a lesson's run (or "free") at `step`, replaying the learner's `inputs` (a timeline's text). */
  | {
      readonly type: "open";
      readonly seed: string;
      readonly lesson: string;
      readonly inputs: string;
      readonly step: number;
    }
  | { readonly type: "step"; readonly count: number }
  /** Replays the same run and timeline to `step` (before or after the one shown). */
  | { readonly type: "rewind"; readonly step: number }
  /** Applies an input now; the learner's inputs after this step are dropped (a fork). */
  | { readonly type: "input"; readonly input: LearnerInput }
  /** A trace file of `bun run sim --seed N --trace FILE`: checked against seed N, then opened at step 0. */
  | { readonly type: "traceFile"; readonly seed: string; readonly name: string; readonly text: string };

/** One request a client sent that reached a broker, and what came of it. */
export interface ClientRow {
  readonly tMs: number;
  readonly client: string;
  readonly api: string;
  readonly broker: string;
  /** -1 for requests about no one partition. */
  readonly partition: number;
  /** 1 for the first send of a record, 2 and up for its retries. */
  readonly attempt: number;
  /** The Kafka error code of the answer ("NONE", "NOT_LEADER_OR_FOLLOWER"...), or why none came. */
  readonly answer: string;
}

/** One entry of the learner's timeline as the page lists it. */
export interface TimelineEntry {
  readonly step: number;
  /** The input's text form ("crash.b1"). */
  readonly text: string;
  /** Whether it lies after the step shown (a rewind keeps it until a new input forks the run). */
  readonly ahead: boolean;
}

/** One check of a lesson and the step at which it first held (-1: not yet). */
export interface CheckResult {
  readonly text: string;
  readonly passedAtStep: number;
}

/** A scripted input of the lesson and whether the run has reached it. */
export interface ScriptEntry {
  readonly atMs: number;
  readonly text: string;
  readonly applied: boolean;
}

/** One segment of a partition on one broker's disk. */
export interface SegmentView {
  readonly baseOffset: number;
  readonly logBytes: number;
  /** Bytes of the `.log` flushed to the disk (survive a crash). */
  readonly durableBytes: number;
  /** The segment appended to now; its indexes are still in memory, not in its files. */
  readonly active: boolean;
  /** The `.index` entries on disk: a batch's absolute last offset and its byte position in the `.log`. */
  readonly index: readonly { readonly offset: number; readonly position: number }[];
  readonly timeEntries: number;
}

/** A partition's segments on the broker that leads it (or the first live replica). */
export interface SegmentsView {
  readonly broker: string;
  readonly partition: number;
  readonly logEndOffset: number;
  readonly segments: readonly SegmentView[];
}

export interface ProducerTally {
  readonly name: string;
  readonly sends: number;
  readonly acked: number;
  readonly failed: number;
  readonly retries: number;
}

/** A message between two nodes with the times the network chose: sent, and arrival (-1: dropped). */
export interface FlightMessage {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  readonly sentMs: number;
  readonly arriveMs: number;
}

export interface TraceLine {
  readonly i: number;
  readonly tMs: number;
  readonly kind: string;
  readonly node: string;
  readonly summary: string;
  /** For a delivered message ("recv"): its sender and type; "" otherwise. */
  readonly from: string;
  readonly type: string;
}

export interface Snapshot {
  readonly seed: string;
  readonly lesson: string;
  readonly lessonTitle: string;
  readonly narration: readonly string[];
  /** Every lesson's id and title, and the known bugs' names, for the page's selects. */
  readonly lessons: readonly { readonly id: string; readonly title: string }[];
  readonly bugs: readonly string[];
  /** The learner's timeline in the link's text form ("120~crash.b1_300~heal"). */
  readonly inputsText: string;
  readonly timeline: readonly TimelineEntry[];
  readonly script: readonly ScriptEntry[];
  readonly checks: readonly CheckResult[];
  readonly clientRows: readonly ClientRow[];
  /** Answers by error code over the whole run, most frequent first. */
  readonly errorCounts: readonly (readonly [string, number])[];
  readonly producerTallies: readonly ProducerTally[];
  readonly clientRetries: number;
  readonly clientTimeouts: number;
  /** Why the last input was refused, or "" (an alias naming nobody, no spare consumer...). */
  readonly refusal: string;
  /** What came of opening a trace file, or "". */
  readonly notice: string;
  /** What the lesson points at in the run now (the records a failover lost...), a few lines. */
  readonly notes: readonly string[];
  /** Partition 0's segments on its leader, or null before the topic exists. */
  readonly segments: SegmentsView | null;
  /** Steps taken since the run opened: the `step` of a link to this moment. */
  readonly step: number;
  readonly nowMs: number;
  readonly traceEvents: number;
  readonly phase: RunPhase;
  readonly hash: string;
  readonly convergedAtMs: number;
  readonly violations: readonly string[];
  readonly view: ClusterView | null;
  readonly tail: readonly TraceLine[];
  /** Messages sent and not yet delivered, by arrival time, at most `messagesInFlightMax`. */
  readonly inFlight: readonly FlightMessage[];
  /** The last messages the network dropped at send (a cut link, a drop input), oldest first. */
  readonly dropped: readonly FlightMessage[];
  /** Wall time the worker spent stepping this run, for the speed figure. */
  readonly stepWallMs: number;
}

export type Reply =
  | { readonly type: "snapshot"; readonly snapshot: Snapshot }
  | { readonly type: "error"; readonly message: string };
