/**
 * Reads one partition's segments off a simulated broker's memory disk, as `bun run dump-log` would
 * read a real data directory: each segment's base offset, `.log` size (and how much of it is
 * flushed), and the entries of its `.index` (absolute last offset of a batch, byte position of that
 * batch in the `.log`) and how many `.timeindex` entries it holds. The active segment's indexes live
 * in memory until it rolls (Kafka keeps them in a memory map), so its files hold no entries yet.
 * Owns that reading only; it must never write a disk, and reads at most `segmentsShownMax` segments.
 */
import type { NodeDisk } from "@eddy/sim";
import type { SegmentView } from "../worker-messages.ts";

/** Segments one view lists at most (a lesson's partition has a handful). */
export const segmentsShownMax = 64;
/** Bytes of one `.index` entry: relative offset int32, position int32 (big-endian, as Kafka's). */
const offsetEntryBytes = 8;
/** Bytes of one `.timeindex` entry: timestamp int64, relative offset int32. */
const timeEntryBytes = 12;
const segmentFile = /\/t-(\d+)\/(\d{20})\.(log|index|timeindex)$/;

/**
 * Entries of a `.index` file. A preallocated file ends in zeros, and positions only grow; the first
 * entry never sits at position 0 (an entry is written once more than index.interval.bytes were
 * appended before its batch), so a zero position ends the entries.
 */
function indexEntries(bytes: Uint8Array | null, baseOffset: number): { offset: number; position: number }[] {
  if (bytes === null) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: { offset: number; position: number }[] = [];
  for (let at = 0; at + offsetEntryBytes <= bytes.length; at += offsetEntryBytes) {
    const relative = view.getInt32(at);
    const position = view.getInt32(at + 4);
    if (position <= (out.length > 0 ? out[out.length - 1]!.position : 0)) break;
    out.push({ offset: baseOffset + relative, position });
  }
  return out;
}

function timeEntryCount(bytes: Uint8Array | null): number {
  if (bytes === null) return 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let count = 0;
  for (let at = 0; at + timeEntryBytes <= bytes.length; at += timeEntryBytes) {
    if (view.getBigInt64(at) === 0n) break;
    count++;
  }
  return count;
}

/** The partition's segments on the broker's disk, oldest first. */
export function readSegments(disk: NodeDisk["disk"], partition: number): SegmentView[] {
  const byBase = new Map<number, { logBytes: number; durableBytes: number; paths: Map<string, string> }>();
  for (const info of disk.fileInfos()) {
    const match = segmentFile.exec(info.path);
    if (match === null || Number(match[1]) !== partition) continue;
    const base = Number(match[2]);
    const entry = byBase.get(base) ?? { logBytes: 0, durableBytes: 0, paths: new Map() };
    entry.paths.set(match[3]!, info.path);
    if (match[3] === "log") {
      entry.logBytes = info.sizeBytes;
      entry.durableBytes = info.durableBytes;
    }
    byBase.set(base, entry);
  }
  const bases = [...byBase.keys()].sort((a, b) => a - b).slice(-segmentsShownMax);
  return bases.map((base, i) => {
    const entry = byBase.get(base)!;
    const indexPath = entry.paths.get("index");
    const timePath = entry.paths.get("timeindex");
    return {
      baseOffset: base,
      logBytes: entry.logBytes,
      durableBytes: entry.durableBytes,
      active: i === bases.length - 1,
      index: indexPath === undefined ? [] : indexEntries(disk.readAll(indexPath), base),
      timeEntries: timePath === undefined ? 0 : timeEntryCount(disk.readAll(timePath)),
    };
  });
}
