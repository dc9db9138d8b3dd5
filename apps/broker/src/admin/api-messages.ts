/**
 * The message browser's reads: records of one partition from an offset, or from the first record at
 * or after a timestamp, up to a limit, each with its offset, timestamp, key, headers and value as
 * base64 and, when they are UTF-8, as text (the console shows them as text, JSON or hex). Owns
 * reading through the replica as a consumer does (never past the high watermark, control batches
 * skipped); it must never write, and bounds the records and bytes one request reads.
 */
import { decodeRecordBatches, ErrorCode, errorCodeName } from "@eddy/protocol";
import type { BrokerNode } from "../node/broker-node.ts";
import { ApiRefusal, intWithin } from "./api-json.ts";

export const messagesPerPageMax = 500;
const messagesPerPageDefault = 50;
/** Bytes one replica read asks for; a page may take several reads. */
const readBytes = 1024 * 1024;
/** Bytes one page reads at most, whatever its limit: a page of huge records stops early. */
const pageBytesMax = 8 * 1024 * 1024;

export interface BytesView {
  readonly base64: string;
  /** The bytes as UTF-8 text, or null when they are not valid UTF-8. */
  readonly text: string | null;
  readonly sizeBytes: number;
}

export interface MessageView {
  readonly offset: number;
  readonly timestampMs: number;
  readonly key: BytesView | null;
  readonly value: BytesView | null;
  readonly headers: readonly { readonly key: string; readonly value: BytesView | null }[];
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function bytesView(bytes: Uint8Array | null): BytesView | null {
  if (bytes === null) return null;
  let text: string | null;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    text = null;
  }
  return { base64: Buffer.from(bytes).toString("base64"), text, sizeBytes: bytes.byteLength };
}

export function browseMessages(node: BrokerNode, topic: string, query: URLSearchParams): unknown {
  if (node.image.topics[topic] === undefined) throw new ApiRefusal(404, `no topic named ${topic}`);
  const partitionCount = node.image.topics[topic]!.partitions.length;
  const partition = intWithin(query.get("partition"), "partition", { min: 0, max: partitionCount - 1 }, 0);
  const limit = intWithin(
    query.get("limit"),
    "limit",
    { min: 1, max: messagesPerPageMax },
    messagesPerPageDefault,
  );
  const replica = node.partition(topic, partition);
  if (replica === undefined)
    throw new ApiRefusal(404, `partition ${topic}-${partition} is not hosted on this node`);
  const logStartOffset = replica.logStartOffset;
  const highWatermark = replica.highWatermark;
  let from: number;
  const timestamp = query.get("timestamp");
  if (timestamp !== null && timestamp !== "") {
    const timestampMs = intWithin(timestamp, "timestamp", { min: 0, max: Number.MAX_SAFE_INTEGER }, null);
    const found = replica.listOffset(timestampMs, -1);
    if (found.errorCode !== ErrorCode.NONE) throw new ApiRefusal(503, errorCodeName(found.errorCode));
    // No record at or after that time: the page starts at the end and is empty.
    from = found.offset < 0 ? highWatermark : found.offset;
  } else {
    from = Math.max(
      logStartOffset,
      intWithin(query.get("offset"), "offset", { min: 0, max: Number.MAX_SAFE_INTEGER }, logStartOffset),
    );
  }
  const messages: MessageView[] = [];
  let position = from;
  let bytesRead = 0;
  while (messages.length < limit && position < highWatermark && bytesRead < pageBytesMax) {
    const read = replica.read(position, readBytes, -1, true, highWatermark);
    if (read.errorCode !== ErrorCode.NONE) throw new ApiRefusal(503, errorCodeName(read.errorCode));
    if (read.records.byteLength === 0) break;
    bytesRead += read.records.byteLength;
    const before = position;
    for (const batch of decodeRecordBatches(read.records, { partialTrailing: "stop" })) {
      const baseOffset = Number(batch.header.baseOffset);
      const lastOffset = baseOffset + batch.header.lastOffsetDelta;
      if (batch.header.isControl) {
        position = Math.max(position, lastOffset + 1);
        continue;
      }
      for (const record of batch.records) {
        const offset = baseOffset + record.offsetDelta;
        if (offset < position || messages.length >= limit) continue;
        messages.push({
          offset,
          timestampMs: Number(batch.header.baseTimestamp) + record.timestampDelta,
          key: bytesView(record.key),
          value: bytesView(record.value),
          headers: record.headers.map((h) => ({ key: h.key, value: bytesView(h.value) })),
        });
        position = offset + 1;
      }
      if (messages.length < limit) position = Math.max(position, lastOffset + 1);
    }
    // A read that moved nothing forward would loop forever; it cannot, but the guard costs nothing.
    if (position === before) break;
  }
  return {
    topic,
    partition,
    logStartOffset,
    highWatermark,
    from,
    nextOffset: position,
    messages,
  };
}
