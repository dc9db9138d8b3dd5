/**
 * Kafka's `replication-offset-checkpoint`: the high watermark of every partition a node holds, in one
 * small file at the top of its data directory (version 0, the entry count, then one
 * `topic partition offset` line each). Kafka keeps high watermarks in memory and writes this file
 * lazily (`replica.high.watermark.checkpoint.interval.ms`), so a restart finds a high watermark that
 * only lags; the replica clamps it to its recovered log. It owns the format and the in-memory table;
 * it must never decide when to write (the node's timer does) and never read a clock.
 */
import { invariant } from "@eddy/core";
import type { Files } from "@eddy/storage";

export const hwCheckpointFileName = "replication-offset-checkpoint";
/** Partitions one checkpoint may name (a node with more is misconfigured). */
export const hwCheckpointEntriesMax = 1 << 20;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** A checkpoint file that cannot be read: the node refuses to start rather than guess. */
export class HwCheckpointError extends Error {
  override readonly name = "HwCheckpointError";
}

/** Parses the file's text; throws `HwCheckpointError` naming the path and line when it is malformed. */
export function parseHwCheckpoint(path: string, text: string): Map<string, number> {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const fail = (line: number, why: string): never => {
    throw new HwCheckpointError(`${path}: line ${line}: ${why}`);
  };
  if (lines[0] !== "0") fail(1, `unknown version ${JSON.stringify(lines[0] ?? "")}, expected 0`);
  const count = Number(lines[1]);
  if (!Number.isSafeInteger(count) || count < 0 || count > hwCheckpointEntriesMax)
    fail(2, `bad entry count ${JSON.stringify(lines[1] ?? "")}`);
  if (lines.length - 2 !== count) fail(2, `entry count ${count} but ${lines.length - 2} entries follow`);
  const out = new Map<string, number>();
  for (let i = 2; i < lines.length; i++) {
    const parts = lines[i]!.split(" ");
    if (parts.length !== 3) fail(i + 1, "expected `topic partition offset`");
    const [topic, partitionText, offsetText] = parts as [string, string, string];
    const partition = Number(partitionText);
    const offset = Number(offsetText);
    if (topic.length === 0) fail(i + 1, "empty topic name");
    if (!Number.isSafeInteger(partition) || partition < 0) fail(i + 1, `bad partition ${partitionText}`);
    if (!Number.isSafeInteger(offset) || offset < 0) fail(i + 1, `bad offset ${offsetText}`);
    out.set(keyOf(topic, partition), offset);
  }
  return out;
}

/** Formats a table of high watermarks as Kafka writes the file (entries sorted, for stable bytes). */
export function formatHwCheckpoint(entries: ReadonlyMap<string, number>): string {
  const lines: string[] = [];
  for (const [key, offset] of entries) {
    const cut = key.lastIndexOf("\u0000");
    lines.push(`${key.slice(0, cut)} ${key.slice(cut + 1)} ${offset}`);
  }
  lines.sort();
  return `0\n${lines.length}\n${lines.map((l) => `${l}\n`).join("")}`;
}

/**
 * The node's table of high watermarks: what the file held at start (`checkpointed`) and what the
 * replicas reported since (`pending`, memory only until the next `write`).
 */
export class HwCheckpoint {
  private readonly pending: Map<string, number>;
  private checkpointed: Map<string, number>;
  /** The background write running now, if any. */
  private writing: Promise<void> | null = null;
  private dirty = false;

  private constructor(
    private readonly files: Files,
    readonly path: string,
    stored: Map<string, number>,
  ) {
    this.checkpointed = stored;
    this.pending = new Map(stored);
  }

  /** Reads the checkpoint in `dataDir` (empty when the file does not exist). */
  static open(files: Files, dataDir: string): HwCheckpoint {
    const path = `${dataDir}/${hwCheckpointFileName}`;
    const bytes = files.readAll(path);
    const stored =
      bytes === null ? new Map<string, number>() : parseHwCheckpoint(path, decoder.decode(bytes));
    return new HwCheckpoint(files, path, stored);
  }

  /** The high watermark the file held for a partition at start (0 when it named none). */
  stored(topic: string, partition: number): number {
    return this.checkpointed.get(keyOf(topic, partition)) ?? 0;
  }

  /** Records a replica's new high watermark (memory only, as in Kafka). */
  record(topic: string, partition: number, offset: number): void {
    const key = keyOf(topic, partition);
    if (this.pending.get(key) === offset) return;
    invariant(this.pending.has(key) || this.pending.size < hwCheckpointEntriesMax, "too many HW entries");
    this.pending.set(key, offset);
    this.dirty = true;
  }

  /** Forgets a partition that left this node (deleted or reassigned). */
  forget(topic: string, partition: number): void {
    if (this.pending.delete(keyOf(topic, partition))) this.dirty = true;
  }

  /**
   * Writes the table durably in the background when it changed since the last write, and resolves
   * once it is on disk (rejecting with what the disk threw; the table then stays to be written). The
   * file's and its folder's fsyncs run off the event loop: on a disk busy with a produce load one
   * fdatasync of this small file took about half a second, which the node's requests waited through
   * when the write was synchronous (issue 15). One write at a time: while one runs, this returns it.
   */
  writeInBackground(): Promise<void> {
    if (this.writing !== null) return this.writing;
    if (!this.dirty) return Promise.resolve();
    const snapshot = new Map(this.pending);
    this.dirty = false;
    const writing = this.files
      .writeAtomic(this.path, encoder.encode(formatHwCheckpoint(snapshot)))
      .then(
        () => {
          this.checkpointed = snapshot;
        },
        (error: unknown) => {
          this.dirty = true;
          throw error;
        },
      )
      .finally(() => {
        this.writing = null;
      });
    this.writing = writing;
    return writing;
  }

  /** Resolves when no background write is running (whatever its outcome). */
  async settled(): Promise<void> {
    await this.writing?.catch(() => {});
  }

  /**
   * Writes the table durably now when it changed since the last write; throws what the disk throws.
   * A background write must have settled first (both write through the same temporary file).
   */
  write(): void {
    invariant(this.writing === null, "a synchronous checkpoint write waits for the background one");
    if (!this.dirty) return;
    this.files.writeAtomicNow(this.path, encoder.encode(formatHwCheckpoint(this.pending)));
    this.checkpointed = new Map(this.pending);
    this.dirty = false;
  }
}
