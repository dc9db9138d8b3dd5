/**
 * A batch of seeds over worker threads. Seeds are handed out in small chunks to whichever worker is
 * free (work stealing: a slow seed holds up one thread, not the batch), results come back in finish
 * order and are folded into the summary in seed order, so the summary, the batch hash and the order
 * of reported failures do not depend on the worker count. With one worker the seeds run in this
 * thread, as a plain loop. A seed that throws outside the checkers, or a worker that dies, fails the
 * whole batch with a `BatchCrash` naming the seed; every worker is terminated before this returns, so
 * the process can exit. This module never changes a run: the workers get the same plain-data base
 * config and model name as the in-process loop.
 */
import { availableParallelism } from "node:os";
import { addResult, type BatchSummary, emptySummary, type SeedOutcome } from "./batch.ts";
import type { FromWorker, ToWorker } from "./batch-messages.ts";
import { BatchCrash, describeThrown, runSeed } from "./batch-seed.ts";
import { models } from "./models.ts";
import type { RunConfig } from "./run-config.ts";

export const workersMax = 64;
/** The largest chunk of seeds one worker takes at a time. */
export const chunkSeedsMax = 8;
/**
 * How far past the oldest unfinished seed work is handed out. Results that finished ahead of it wait
 * in a reorder buffer; this bounds that buffer (a seed that never ends stalls the batch, not memory).
 */
export const reorderWindowSeedsMax = 4_096;

export interface BatchProgress {
  /** Seeds finished so far, in any order. */
  readonly done: number;
  readonly count: number;
  /** Violations of the finished seeds. */
  readonly violations: number;
  /** Simulated time of the finished seeds. */
  readonly simMs: number;
  /** Wall time since the batch started. */
  readonly elapsedMs: number;
}

export interface ParallelBatchOptions {
  readonly fromSeed: bigint;
  readonly count: number;
  /** A key of `models`; a name because a factory cannot cross threads. */
  readonly model: string;
  readonly base: Partial<RunConfig>;
  /** Threads running seeds; 1 runs them in this thread. */
  readonly workers: number;
  /** After every finished seed, in finish order. */
  readonly onProgress?: (p: BatchProgress) => void;
  /** Every seed's outcome, in seed order. */
  readonly onOutcome?: (r: SeedOutcome) => void;
}

/**
 * The default worker count: one core is left to the engine's own threads. A single simulating thread
 * keeps about 1.5-1.8 cores busy (the JavaScript engine's GC and JIT threads run beside it), and each
 * worker compiles and collects on its own, so on two cores a second worker measured slower, not faster.
 */
export function workersDefault(count: number): number {
  return Math.max(1, Math.min(availableParallelism() - 1, count, workersMax));
}

/** Small enough that the last chunks spread over all workers, large enough to amortize messages. */
export function chunkSeeds(count: number, workers: number): number {
  return Math.max(1, Math.min(chunkSeedsMax, Math.ceil(count / (workers * 16))));
}

/** Folds outcomes that arrive in any order into the summary in seed order. */
class SeedOrder {
  /** Index of the next seed to fold. */
  next = 0;
  private readonly waiting = new Map<number, SeedOutcome>();

  constructor(
    private readonly summary: BatchSummary,
    private readonly onOutcome: ((r: SeedOutcome) => void) | undefined,
  ) {}

  accept(index: number, r: SeedOutcome): void {
    if (index < this.next || this.waiting.has(index)) throw new Error(`batch: seed index ${index} twice`);
    this.waiting.set(index, r);
    if (this.waiting.size > reorderWindowSeedsMax) throw new Error("batch: reorder buffer over its limit");
    for (let x = this.waiting.get(this.next); x !== undefined; x = this.waiting.get(this.next)) {
      this.waiting.delete(this.next);
      addResult(this.summary, x);
      this.onOutcome?.(x);
      this.next++;
    }
  }
}

export async function runBatchParallel(o: ParallelBatchOptions): Promise<BatchSummary> {
  if (!Number.isInteger(o.count) || o.count < 0) throw new Error(`batch: bad seed count ${o.count}`);
  if (!Number.isInteger(o.workers) || o.workers < 1 || o.workers > workersMax)
    throw new Error(`batch: workers must be 1..${workersMax}, got ${o.workers}`);
  const factory = models[o.model];
  if (factory === undefined) throw new Error(`batch: unknown model ${o.model}`);
  const start = performance.now();
  const summary = emptySummary();
  summary.workers = Math.min(o.workers, Math.max(1, o.count));
  const order = new SeedOrder(summary, o.onOutcome);
  let done = 0;
  let violations = 0;
  let simMs = 0;
  const progress = (r: SeedOutcome): void => {
    done++;
    violations += r.violations.length;
    simMs += r.simMs;
    o.onProgress?.({ done, count: o.count, violations, simMs, elapsedMs: performance.now() - start });
  };
  if (summary.workers === 1) {
    for (let index = 0; index < o.count; index++) {
      const seed = o.fromSeed + BigInt(index);
      let r: SeedOutcome;
      try {
        r = runSeed(seed, factory, o.base);
      } catch (e) {
        throw BatchCrash.of(seed, o.base, describeThrown(e));
      }
      progress(r);
      order.accept(index, r);
    }
  } else {
    await runOnWorkers(o, summary.workers, order, progress);
  }
  summary.wallMs = performance.now() - start;
  if (summary.seeds !== o.count) throw new Error(`batch: ${summary.seeds} of ${o.count} seeds folded`);
  return summary;
}

interface WorkerSlot {
  readonly worker: Worker;
  readonly id: number;
  /** Indices handed to this worker and not answered yet, in the order it runs them. */
  readonly outstanding: number[];
}

function runOnWorkers(
  o: ParallelBatchOptions,
  workers: number,
  order: SeedOrder,
  progress: (r: SeedOutcome) => void,
): Promise<void> {
  const chunk = chunkSeeds(o.count, workers);
  const slots: WorkerSlot[] = [];
  let handedOut = 0;
  let finished = false;
  return new Promise<void>((resolve, reject) => {
    const finish = (error?: Error): void => {
      if (finished) return;
      finished = true;
      for (const slot of slots) slot.worker.terminate();
      if (error === undefined) resolve();
      else reject(error);
    };
    const crash = (slot: WorkerSlot, index: number | undefined, detail: string): void => {
      if (index === undefined) {
        finish(new Error(`batch: worker ${slot.id} failed while idle: ${detail}`));
        return;
      }
      finish(BatchCrash.of(o.fromSeed + BigInt(index), o.base, `worker ${slot.id}: ${detail}`));
    };
    // A worker gets its next chunk while it starts the last seed of the current one, so it never waits
    // for a round trip; nothing is handed out past the reorder window.
    const dispatch = (slot: WorkerSlot): void => {
      while (!finished && slot.outstanding.length <= 1 && handedOut < o.count) {
        const seeds = Math.min(chunk, o.count - handedOut);
        if (handedOut + seeds > order.next + reorderWindowSeedsMax) return;
        for (let i = 0; i < seeds; i++) slot.outstanding.push(handedOut + i);
        const m: ToWorker = { kind: "run", firstIndex: handedOut, seeds };
        slot.worker.postMessage(m);
        handedOut += seeds;
      }
    };
    const onMessage = (slot: WorkerSlot, m: FromWorker): void => {
      if (finished) return;
      const expected = slot.outstanding[0];
      if (m.index !== expected) {
        finish(new Error(`batch: worker ${slot.id} answered seed index ${m.index}, expected ${expected}`));
        return;
      }
      if (m.kind === "crash") {
        crash(slot, m.index, m.detail);
        return;
      }
      slot.outstanding.shift();
      progress(m.outcome);
      order.accept(m.index, m.outcome);
      if (order.next === o.count) {
        finish();
        return;
      }
      for (const s of slots) dispatch(s);
    };
    try {
      for (let id = 0; id < workers; id++) {
        const worker = new Worker(new URL("./batch-worker.ts", import.meta.url).href, {
          name: `sim-batch-${id}`,
        });
        const slot: WorkerSlot = { worker, id, outstanding: [] };
        slots.push(slot);
        worker.addEventListener("message", (e: MessageEvent) => {
          try {
            onMessage(slot, e.data as FromWorker);
          } catch (err) {
            finish(err instanceof Error ? err : new Error(String(err)));
          }
        });
        worker.addEventListener("messageerror", () =>
          crash(slot, slot.outstanding[0], "a message could not be deserialized"),
        );
        worker.addEventListener("error", (e: Event) =>
          crash(slot, slot.outstanding[0], (e as ErrorEvent).message ?? "uncaught error"),
        );
        worker.addEventListener("close", (e: Event) =>
          crash(slot, slot.outstanding[0], `exited early (code ${(e as CloseEvent).code})`),
        );
        const init: ToWorker = { kind: "init", model: o.model, fromSeed: o.fromSeed, base: o.base };
        worker.postMessage(init);
      }
      for (const slot of slots) dispatch(slot);
    } catch (e) {
      finish(e instanceof Error ? e : new Error(describeThrown(e)));
    }
  });
}
