/**
 * One learner's session with one run: the lesson (or free play), the seed, the learner's timeline of
 * inputs, and the run stepped to the moment shown, with the client log and the lesson's checks kept
 * step by step. Every moment is a function of (lesson, seed, timeline, step): going back to step K
 * replays from the seed through the same code with the inputs given before K, and drops the others
 * (the run forks there: new inputs replace the later ones). Owns that timeline; it must never touch the DOM, read the wall clock except for the speed
 * figure, or step without being asked.
 */
import {
  formatInput,
  formatTimeline,
  type LearnerInput,
  parseTimeline,
  SteppedRun,
  type TimedInput,
} from "@eddy/sim";
import type { CheckContext, Lesson, LessonCheck } from "../lessons/lesson.ts";
import { openStepMax, type SegmentsView } from "../worker-messages.ts";
import { ClientLog } from "./client-log.ts";
import { readSegments } from "./segments.ts";

export class Session {
  readonly run: SteppedRun;
  readonly clientLog = new ClientLog();
  /** Steps the learner has moved through (equals `run.stepCount`). */
  stepWallMs = 0;
  /** Why the last input was refused, or "". */
  refusal = "";
  private readonly checks: LessonCheck[];
  /** The step at which each check first held, or -1. */
  readonly checkPassedAtStep: number[];
  /** How many of the lesson's scripted inputs the run has reached. */
  scriptApplied = 0;
  private traceRead = 0;
  /** The learner's timeline: the inputs applied (and, from a hand-made link, any ahead), in step order. */
  private timeline: TimedInput[];

  constructor(
    readonly lesson: Lesson,
    readonly seed: bigint,
    timeline: readonly TimedInput[],
  ) {
    this.timeline = [...timeline];
    this.run = new SteppedRun(lesson.config(seed), lesson.factory);
    this.checks = lesson.checks();
    this.checkPassedAtStep = this.checks.map(() => -1);
    this.applyDue();
    this.observe();
  }

  /** Opens a session from a link's parts; an unreadable timeline opens with none. */
  static open(lesson: Lesson, seedText: string, inputsText: string, step: number): Session {
    const timeline = parseTimeline(inputsText, openStepMax) ?? [];
    const session = new Session(lesson, BigInt(seedText), timeline);
    session.advance(Math.min(Math.max(0, Math.floor(step)), openStepMax));
    return session;
  }

  get step(): number {
    return this.run.stepCount;
  }

  get inputs(): readonly TimedInput[] {
    return this.timeline;
  }

  get inputsText(): string {
    return formatTimeline(this.timeline);
  }

  /** Up to `count` steps, each followed by the inputs due at the new step. */
  advance(count: number): void {
    const startMs = performance.now();
    for (let i = 0; i < count; i++) {
      if (!this.run.step()) break;
      this.applyDue();
      this.observe();
    }
    this.stepWallMs += performance.now() - startMs;
  }

  /**
   * The same run replayed from the seed to `step`, with the inputs given before it; those given at it
   * or later are dropped, so going back to the step of a kill shows the moment before the kill.
   */
  rewind(step: number): Session {
    const kept = this.timeline.filter((t) => t.step < step);
    const replayed = new Session(this.lesson, this.seed, kept);
    replayed.advance(Math.min(Math.max(0, Math.floor(step)), openStepMax));
    return replayed;
  }

  /**
   * Applies the learner's input now. The learner's inputs after this step are dropped first: the run
   * forks here. A refused input changes nothing but the refusal shown.
   */
  input(input: LearnerInput): void {
    const step = this.step;
    const applied = this.run.apply(input);
    if (typeof applied === "string") {
      this.refusal = `${formatInput(input)}: ${applied}`;
      return;
    }
    this.refusal = "";
    this.timeline = [...this.timeline.filter((t) => t.step <= step), applied];
    this.observe();
  }

  /** Each scripted input whose time has come, then the learner's inputs at this step. */
  private applyDue(): void {
    const script = this.lesson.script;
    while (this.scriptApplied < script.length && script[this.scriptApplied]!.atMs <= this.run.nowMs) {
      this.run.apply(script[this.scriptApplied]!.input);
      this.scriptApplied++;
    }
    for (const t of this.timeline) if (t.step === this.step) this.run.apply(t.input);
  }

  /** Reads the new trace lines into the client log and asks the open checks. */
  private observe(): void {
    const fresh = this.run.traceEvents - this.traceRead;
    if (fresh > 0) for (const line of this.run.traceTail(fresh)) this.clientLog.read(line);
    this.traceRead = this.run.traceEvents;
    if (!this.checkPassedAtStep.includes(-1)) return;
    const ctx = this.context();
    if (ctx === undefined) return;
    // In order: a check that builds on an earlier one (an ISR before a cut) sees it settled first.
    for (let i = 0; i < this.checks.length; i++) {
      if (this.checkPassedAtStep[i]! >= 0) continue;
      if (this.checks[i]!.holds(ctx)) this.checkPassedAtStep[i] = this.step;
    }
  }

  /** What checks and notes may read about the run now. */
  context(): CheckContext | undefined {
    const view = this.run.view();
    if (view === undefined) return undefined;
    // Read off the disk at most once per context: several checks of one step may ask.
    let segments: SegmentsView | null | undefined;
    return {
      view,
      nowMs: this.run.nowMs,
      history: this.run.history,
      clientLog: this.clientLog,
      violations: this.run.violations,
      replicaValues: (broker, partition) => this.run.replicaValues(broker, partition),
      segments: () => {
        segments ??= this.segments();
        return segments;
      },
    };
  }

  /** The lesson's notes about the run now. */
  notes(): string[] {
    const ctx = this.lesson.notes === undefined ? undefined : this.context();
    return ctx === undefined ? [] : this.lesson.notes!(ctx);
  }

  /** Partition 0's segments on its leader (or its first live replica); null before the topic. */
  segments(): SegmentsView | null {
    const view = this.run.view();
    const p = view?.partitions[0];
    if (view === undefined || p === undefined || p.assignment.length === 0) return null;
    const replica = p.replicas.find((r) => r.role === "leader" && r.up) ?? p.replicas.find((r) => r.up);
    const disk = this.run.disks().find((d) => d.node === replica?.broker);
    if (replica === undefined || disk === undefined) return null;
    return {
      broker: replica.broker,
      partition: 0,
      logEndOffset: replica.logEndOffset,
      segments: readSegments(disk.disk, 0),
    };
  }

  /** The check texts with the step each first held at. */
  checkResults(): { text: string; passedAtStep: number }[] {
    return this.checks.map((c, i) => ({ text: c.text, passedAtStep: this.checkPassedAtStep[i]! }));
  }
}
