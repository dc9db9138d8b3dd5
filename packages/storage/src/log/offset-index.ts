/**
 * In-memory mirrors of a segment's `.index` and `.timeindex`, and their on-disk encoding. It owns
 * the sparse-index rules (Kafka's): an offset entry (relative last offset of a batch, position of
 * that batch) is added when more than `indexIntervalBytes` were appended since the previous entry;
 * a time entry (largest timestamp so far, relative offset holding it) is added beside it when the
 * timestamp grew. It must never touch files itself: the segment persists what it holds.
 */

/** `.index` entry: relative offset int32 + position int32. */
export const offsetEntryBytes = 8;
/** `.timeindex` entry: timestamp int64 + relative offset int32. */
export const timeEntryBytes = 12;

/** Index of the last of the first `count` values that is <= `key`, or -1; the column increases. */
function floorOf(column: Int32Array | Float64Array, count: number, key: number): number {
  let low = 0;
  let high = count - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    if (column[mid]! <= key) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

/** A column twice as long holding the same first `count` values. */
function doubled<T extends Int32Array | Float64Array>(column: T, count: number): T {
  const next = new (column.constructor as new (length: number) => T)(count * 2);
  next.set(column);
  return next;
}

const twoPow32 = 4294967296;

/**
 * Writes an int64 that is exact as a double (|value| < 2^53) as two int32 halves: the same bytes as
 * `setBigInt64`, without a BigInt per entry (a reload of a dropped time index decodes thousands).
 */
function setInt64(view: DataView, at: number, value: number): void {
  const high = Math.floor(value / twoPow32);
  view.setInt32(at, high);
  view.setUint32(at + 4, value - high * twoPow32);
}

/** Reads an int64 written by `setInt64` (or `setBigInt64`), exact below 2^53. */
function getInt64(view: DataView, at: number): number {
  return view.getInt32(at) * twoPow32 + view.getUint32(at + 4);
}

/** Column length of a new, empty mirror. */
const columnLengthInitial = 16;

/** A column holding exactly the first `count` values (at least one slot, so it can still grow). */
function fitted<T extends Int32Array | Float64Array>(column: T, count: number): T {
  if (column.length === Math.max(1, count)) return column;
  const next = new (column.constructor as new (length: number) => T)(Math.max(1, count));
  next.set(column.subarray(0, count));
  return next;
}

/** Growable pair of int32 columns: relative offsets and positions, increasing. */
export class OffsetIndex {
  relative: Int32Array;
  position: Int32Array;
  count = 0;
  /** Entries already written to the `.index` file. */
  persistedCount = 0;

  /** `capacity`: entries the columns hold before they first grow (a load knows its count). */
  constructor(capacity = columnLengthInitial) {
    this.relative = new Int32Array(Math.max(1, capacity));
    this.position = new Int32Array(Math.max(1, capacity));
  }

  /** Bytes the columns hold (their capacity, which is what memory they pin). */
  columnBytes(): number {
    return this.relative.byteLength + this.position.byteLength;
  }

  /** Cuts the columns to the entries, for a segment that will take no more (an inactive one). */
  compact(): void {
    this.relative = fitted(this.relative, this.count);
    this.position = fitted(this.position, this.count);
  }

  append(relative: number, position: number): void {
    if (this.count === this.relative.length) {
      this.relative = doubled(this.relative, this.count);
      this.position = doubled(this.position, this.count);
    }
    this.relative[this.count] = relative;
    this.position[this.count] = position;
    this.count += 1;
  }

  /** Index of the last entry whose relative offset is <= `relative`, or -1. */
  floor(relative: number): number {
    return floorOf(this.relative, this.count, relative);
  }

  encode(from: number, to: number): Uint8Array {
    const out = new Uint8Array((to - from) * offsetEntryBytes);
    const view = new DataView(out.buffer);
    for (let i = from; i < to; i++) {
      view.setInt32((i - from) * offsetEntryBytes, this.relative[i]!);
      view.setInt32((i - from) * offsetEntryBytes + 4, this.position[i]!);
    }
    return out;
  }

  /**
   * Loads entries from file bytes, or returns a sentence saying why they are invalid. A
   * preallocated file ends in zeros, which end the entries.
   */
  static decode(bytes: Uint8Array, logSizeBytes: number, relativeMax: number): OffsetIndex | string {
    const whole = Math.floor(bytes.length / offsetEntryBytes);
    const index = new OffsetIndex(whole);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    let i = 0;
    for (; i < whole; i++) {
      const relative = view.getInt32(i * offsetEntryBytes);
      const position = view.getInt32(i * offsetEntryBytes + 4);
      if (relative === 0 && position === 0) break;
      if (
        index.count > 0 &&
        (relative <= index.relative[index.count - 1]! || position <= index.position[index.count - 1]!)
      ) {
        return `entry ${i} (${relative}, ${position}) does not increase`;
      }
      if (relative < 0 || relative > relativeMax || position < 0 || position >= logSizeBytes) {
        return `entry ${i} (${relative}, ${position}) outside the segment`;
      }
      index.append(relative, position);
    }
    for (let at = i * offsetEntryBytes; at < bytes.length; at++) {
      if (bytes[at] !== 0) return `non-zero bytes after the last entry at ${at}`;
    }
    index.persistedCount = index.count;
    return index;
  }
}

/** Growable time index: timestamps (as float64, exact to 2^53) and relative offsets, increasing. */
export class TimeIndex {
  timestamp: Float64Array;
  relative: Int32Array;
  count = 0;
  persistedCount = 0;

  /** `capacity`: entries the columns hold before they first grow (a load knows its count). */
  constructor(capacity = columnLengthInitial) {
    this.timestamp = new Float64Array(Math.max(1, capacity));
    this.relative = new Int32Array(Math.max(1, capacity));
  }

  /** Bytes the columns hold (their capacity). */
  columnBytes(): number {
    return this.timestamp.byteLength + this.relative.byteLength;
  }

  /** Cuts the columns to the entries, for a segment that will take no more. */
  compact(): void {
    this.timestamp = fitted(this.timestamp, this.count);
    this.relative = fitted(this.relative, this.count);
  }

  lastTimestamp(): number {
    return this.count === 0 ? -1 : this.timestamp[this.count - 1]!;
  }

  /** Appends when `timestampMs` is larger than the last entry's, as Kafka's `maybeAppend`. */
  maybeAppend(timestampMs: number, relative: number): void {
    if (timestampMs <= this.lastTimestamp()) return;
    if (this.count > 0 && relative < this.relative[this.count - 1]!) return;
    if (this.count === this.timestamp.length) {
      this.timestamp = doubled(this.timestamp, this.count);
      this.relative = doubled(this.relative, this.count);
    }
    this.timestamp[this.count] = timestampMs;
    this.relative[this.count] = relative;
    this.count += 1;
  }

  /** Index of the last entry whose timestamp is <= `timestampMs`, or -1. */
  floor(timestampMs: number): number {
    return floorOf(this.timestamp, this.count, timestampMs);
  }

  encode(from: number, to: number): Uint8Array {
    const out = new Uint8Array((to - from) * timeEntryBytes);
    const view = new DataView(out.buffer);
    for (let i = from; i < to; i++) {
      setInt64(view, (i - from) * timeEntryBytes, this.timestamp[i]!);
      view.setInt32((i - from) * timeEntryBytes + 8, this.relative[i]!);
    }
    return out;
  }

  static decode(bytes: Uint8Array, relativeMax: number): TimeIndex | string {
    const whole = Math.floor(bytes.length / timeEntryBytes);
    const index = new TimeIndex(whole);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    let i = 0;
    for (; i < whole; i++) {
      const timestamp = getInt64(view, i * timeEntryBytes);
      const relative = view.getInt32(i * timeEntryBytes + 8);
      if (i > 0 && timestamp === 0 && relative === 0) break;
      if (
        index.count > 0 &&
        (timestamp <= index.lastTimestamp() || relative < index.relative[index.count - 1]!)
      ) {
        return `time entry ${i} (${timestamp}, ${relative}) does not increase`;
      }
      if (relative < 0 || relative > relativeMax)
        return `time entry ${i} offset ${relative} outside the segment`;
      index.maybeAppend(timestamp, relative);
    }
    for (let at = i * timeEntryBytes; at < bytes.length; at++) {
      if (bytes[at] !== 0) return `non-zero bytes after the last time entry at ${at}`;
    }
    index.persistedCount = index.count;
    return index;
  }
}
