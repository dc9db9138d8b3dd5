/**
 * The messages between the studio's page and its simulation worker, as plain data (structured clone).
 * The page asks; the worker answers every request with one `Snapshot`. Owns the shapes only; it
 * must never hold behaviour, so both sides can import it without pulling in the other.
 */
import type { ClusterView, RunPhase } from "@eddy/sim";

/** Trace lines a snapshot carries at most (the view's "last N events"). */
export const traceTailLinesMax = 30;
/** Characters of one trace summary at most, so a large message never floods the page. */
export const traceSummaryCharsMax = 160;
/** Steps one request may ask for at most, so the worker always answers within a frame or few. */
export const stepsPerRequestMax = 5_000;
/** Steps a link may ask to open at (`?step=K`); a whole run is a few thousand. */
export const openStepMax = 1_000_000;

export type Request =
  | { readonly type: "open"; readonly seed: string; readonly step: number }
  | { readonly type: "step"; readonly count: number };

export interface TraceLine {
  readonly i: number;
  readonly tMs: number;
  readonly kind: string;
  readonly node: string;
  readonly summary: string;
}

export interface Snapshot {
  readonly seed: string;
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
  /** Wall time the worker spent stepping this run, for the speed figure. */
  readonly stepWallMs: number;
}

export type Reply =
  | { readonly type: "snapshot"; readonly snapshot: Snapshot }
  | { readonly type: "error"; readonly message: string };
