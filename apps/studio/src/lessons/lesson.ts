/**
 * What a guided lesson is: a run (seed, config, model) with scripted inputs at virtual times, short
 * narration, and checks of what the learner should now see, each evaluated after every step until it
 * first holds. Owns the shapes and the shared check context only; it must never step a run (the
 * worker does) nor touch the page.
 */
import type { ClusterFactory, ClusterView, History, LearnerInput, RunConfig, Violation } from "@eddy/sim";
import type { ClientLog } from "../worker/client-log.ts";
import type { SegmentsView } from "../worker-messages.ts";

/** What a check may read, at one moment of the run. */
export interface CheckContext {
  readonly view: ClusterView;
  readonly nowMs: number;
  readonly history: History;
  readonly clientLog: ClientLog;
  readonly violations: readonly Violation[];
  /** The values in a live broker's log of one partition, offset by offset; undefined while it is down. */
  replicaValues(broker: number, partition: number): readonly number[] | undefined;
  /** Partition 0's segments on its leader, read off its disk when asked; null before the topic. */
  segments(): SegmentsView | null;
}

/**
 * One check. `holds` is asked after every step until it first returns true, in step order, so it may
 * remember what it saw earlier (an ISR before a cut) in its own closure: `checks()` builds fresh ones
 * for every replay, which keeps a check's verdict a function of (seed, inputs, step).
 */
export interface LessonCheck {
  readonly text: string;
  holds(ctx: CheckContext): boolean;
}

/** A scripted input: applied at the first step boundary at or after `atMs` of virtual time. */
export interface ScriptedInput {
  readonly atMs: number;
  readonly input: LearnerInput;
  /** What the narration says happens here. */
  readonly say: string;
}

export interface Lesson {
  readonly id: string;
  readonly title: string;
  /** The lesson's text: what the view shows and what to watch for, a few short paragraphs. */
  readonly narration: readonly string[];
  readonly seed: string;
  config(seed: bigint): RunConfig;
  readonly factory: ClusterFactory;
  readonly script: readonly ScriptedInput[];
  checks(): LessonCheck[];
  /** A few lines about the run now that the narration points at (what a failover lost...). */
  notes?(ctx: CheckContext): string[];
}
