/**
 * The step-by-step trace of one run and its rolling hash. Every delivered event is folded into a
 * 32-bit FNV-1a style mix of its time, kind, node and label (the strings interned to numbers), so two
 * runs of one seed can be compared cheaply (the determinism meta-invariant). When a sink is
 * attached, each event is also written as one JSON line with a fixed key order, which the teaching
 * view reads. This module never decides anything about the run; it only records.
 */
import { crc32Text } from "./crc32.ts";

export const traceLinesMax = 5_000_000;
export const internedStringsMax = 100_000;

export interface TraceEvent {
  /** Event index in the run, from 0. */
  readonly i: number;
  readonly t: number;
  readonly kind: string;
  readonly node: string;
  readonly detail: unknown;
}

export class Trace {
  hash = 0;
  count = 0;
  private readonly lines: string[] | undefined;

  constructor(record: boolean) {
    this.lines = record ? [] : undefined;
  }

  get recording(): boolean {
    return this.lines !== undefined;
  }

  /**
   * Folds one event into the hash. `compact` must identify the event (time, kind, node, message type);
   * `detail` is evaluated only when recording, so the hot path never builds JSON.
   */
  event(
    timeMs: number,
    kind: string,
    node: string,
    compact: string,
    detail?: () => unknown,
    extra = 0,
  ): void {
    // The strings are interned in this order (kind, node, label): first sightings fix their ids.
    const kindId = this.intern(kind);
    const nodeId = this.intern(node);
    this.fold(timeMs, kindId, nodeId, this.intern(compact), extra);
    if (this.lines !== undefined && this.lines.length < traceLinesMax) {
      const line: TraceEvent = { i: this.count, t: timeMs, kind, node, detail: detail ? detail() : compact };
      this.lines.push(JSON.stringify(line, bigintSafe));
    }
    this.count++;
  }

  /**
   * Folds one event whose strings the caller interned itself, in `event`'s order (kind, node, label),
   * and may have cached: the same hash as `event`, without the lookups. Only while not recording.
   */
  eventIds(timeMs: number, kindId: number, nodeId: number, compactId: number, extra: number): void {
    this.fold(timeMs, kindId, nodeId, compactId, extra);
    this.count++;
  }

  private fold(timeMs: number, kindId: number, nodeId: number, compactId: number, extra: number): void {
    // FNV-1a style mixing over (time, kind, node, label) with the strings interned to small numbers,
    // so the hot path hashes four integers instead of building and scanning a string.
    let h = this.hash;
    h = Math.imul(h ^ timeMs, 0x01000193);
    h = Math.imul((h ^ (timeMs / 0x1_0000_0000)) | 0, 0x01000193);
    h = Math.imul(h ^ kindId, 0x01000193);
    h = Math.imul(h ^ nodeId, 0x01000193);
    h = Math.imul(h ^ compactId, 0x01000193);
    h = Math.imul(h ^ extra, 0x01000193);
    this.hash = h >>> 0;
  }

  private readonly interned = new Map<string, number>();

  /**
   * A stable number per distinct string, in first-seen order (deterministic within a run). A caller
   * may cache the number of a string once it has interned it here.
   */
  intern(s: string): number {
    let id = this.interned.get(s);
    if (id === undefined) {
      // The id mixes in a hash of the text, so equal traces with different first-seen orders still differ.
      id = crc32Text(s) ^ this.interned.size;
      if (this.interned.size < internedStringsMax) this.interned.set(s, id);
    }
    return id;
  }

  hashHex(): string {
    return (this.hash >>> 0).toString(16).padStart(8, "0");
  }

  /** The last `count` recorded lines (JSON), oldest first; empty when not recording. */
  tail(count: number): string[] {
    const lines = this.lines;
    if (lines === undefined || count <= 0) return [];
    return lines.slice(Math.max(0, lines.length - count));
  }

  /** The JSON-lines text of the recorded trace, ending with a summary line. */
  text(): string {
    const body = this.lines ?? [];
    const summary = JSON.stringify({ i: this.count, kind: "end", hash: this.hashHex() });
    return `${body.join("\n")}${body.length > 0 ? "\n" : ""}${summary}\n`;
  }
}

function bigintSafe(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  if (value instanceof Uint8Array) return `bytes:${value.length}`;
  return value;
}
