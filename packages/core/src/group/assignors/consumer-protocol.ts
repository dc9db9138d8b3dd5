/**
 * A small hand codec for the "consumer" protocol bytes that JoinGroup and SyncGroup carry opaquely:
 * ConsumerProtocolSubscription v0-v3 (topics, userData, ownedPartitions v1+, generationId v2+, rackId v3+)
 * and ConsumerProtocolAssignment v0-v3 (assigned partitions, userData). Neither is a flexible version.
 * Like Kafka, a decoder reading a newer version reads the fields it knows and ignores the rest.
 *
 * The coordinator never needs these to relay assignments; the simulator's clients, the offset expiry of
 * Stable groups and the exclusivity checker do. Bad bytes raise ConsumerProtocolError, never an invariant.
 */
import { invariant } from "../../invariant.ts";
import { partitionsPerTopicMax, topicsPerMemberMax, userDataBytesMax } from "./limits.ts";
import type { TopicPartitions } from "./types.ts";

export const consumerProtocolVersionMax = 3;

export interface Subscription {
  readonly version: number;
  readonly topics: readonly string[];
  readonly userData: Uint8Array | null;
  readonly ownedPartitions: readonly TopicPartitions[];
  readonly generationId: number;
  readonly rackId: string | null;
}

export interface Assignment {
  readonly version: number;
  readonly assignedPartitions: readonly TopicPartitions[];
  readonly userData: Uint8Array | null;
}

/** Thrown for bytes that are not a valid subscription or assignment. */
export class ConsumerProtocolError extends Error {
  override readonly name = "ConsumerProtocolError";
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

class Writer {
  private bytes: number[] = [];
  int16(v: number) {
    this.bytes.push((v >> 8) & 0xff, v & 0xff);
  }
  int32(v: number) {
    this.bytes.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  }
  string(v: string | null) {
    if (v === null) return this.int16(-1);
    const encoded = utf8Encoder.encode(v);
    invariant(encoded.length <= 0x7fff, "consumer protocol: string longer than 32767 bytes");
    this.int16(encoded.length);
    for (const b of encoded) this.bytes.push(b);
  }
  nullableBytes(v: Uint8Array | null) {
    if (v === null) return this.int32(-1);
    invariant(v.length <= userDataBytesMax, "consumer protocol: user data too large");
    this.int32(v.length);
    for (const b of v) this.bytes.push(b);
  }
  topicPartitions(list: readonly TopicPartitions[]) {
    invariant(list.length <= topicsPerMemberMax, "consumer protocol: too many topics");
    this.int32(list.length);
    for (const tp of list) {
      this.string(tp.topic);
      invariant(tp.partitions.length <= partitionsPerTopicMax, "consumer protocol: too many partitions");
      this.int32(tp.partitions.length);
      for (const p of tp.partitions) this.int32(p);
    }
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

class Reader {
  private offset = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number, what: string) {
    if (this.offset + n > this.bytes.length) throw new ConsumerProtocolError(`truncated ${what}`);
  }
  int16(what: string): number {
    this.need(2, what);
    const v = this.view.getInt16(this.offset);
    this.offset += 2;
    return v;
  }
  int32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.offset);
    this.offset += 4;
    return v;
  }
  string(what: string, nullable: boolean): string | null {
    const length = this.int16(what);
    if (length === -1 && nullable) return null;
    if (length < 0) throw new ConsumerProtocolError(`negative ${what} length`);
    this.need(length, what);
    try {
      const value = utf8Decoder.decode(this.bytes.subarray(this.offset, this.offset + length));
      this.offset += length;
      return value;
    } catch {
      throw new ConsumerProtocolError(`${what} is not UTF-8`);
    }
  }
  nullableBytes(what: string): Uint8Array | null {
    const length = this.int32(what);
    if (length === -1) return null;
    if (length < 0 || length > userDataBytesMax)
      throw new ConsumerProtocolError(`bad ${what} length ${length}`);
    this.need(length, what);
    const value = this.bytes.slice(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  /** An array count, checked against the bytes left so a hostile count cannot force a huge allocation. */
  count(what: string, elementBytesMin: number, countMax: number): number {
    const count = this.int32(what);
    if (count < 0 || count > countMax) throw new ConsumerProtocolError(`bad ${what} count ${count}`);
    if (count * elementBytesMin > this.bytes.length - this.offset)
      throw new ConsumerProtocolError(`truncated ${what}`);
    return count;
  }
  topicPartitions(what: string): TopicPartitions[] {
    const list: TopicPartitions[] = [];
    const topicCount = this.count(what, 6, topicsPerMemberMax);
    for (let i = 0; i < topicCount; i++) {
      const topic = this.string(`${what} topic`, false)!;
      const partitionCount = this.count(`${what} partitions`, 4, partitionsPerTopicMax);
      const partitions: number[] = [];
      for (let j = 0; j < partitionCount; j++) partitions.push(this.int32(`${what} partition`));
      list.push({ topic, partitions });
    }
    return list;
  }
}

function readVersion(reader: Reader): number {
  const version = reader.int16("version");
  if (version < 0) throw new ConsumerProtocolError(`negative version ${version}`);
  return Math.min(version, consumerProtocolVersionMax);
}

export function encodeSubscription(subscription: Omit<Subscription, "version">, version = 1): Uint8Array {
  invariant(version >= 0 && version <= consumerProtocolVersionMax, "encodeSubscription: bad version");
  const w = new Writer();
  w.int16(version);
  invariant(subscription.topics.length <= topicsPerMemberMax, "encodeSubscription: too many topics");
  w.int32(subscription.topics.length);
  for (const topic of subscription.topics) w.string(topic);
  w.nullableBytes(subscription.userData);
  if (version >= 1) w.topicPartitions(subscription.ownedPartitions);
  if (version >= 2) w.int32(subscription.generationId);
  if (version >= 3) w.string(subscription.rackId);
  return w.done();
}

export function decodeSubscription(bytes: Uint8Array): Subscription {
  const r = new Reader(bytes);
  const version = readVersion(r);
  const topicCount = r.count("topics", 2, topicsPerMemberMax);
  const topics: string[] = [];
  for (let i = 0; i < topicCount; i++) topics.push(r.string("topic", false)!);
  const userData = r.nullableBytes("userData");
  const ownedPartitions = version >= 1 ? r.topicPartitions("ownedPartitions") : [];
  const generationId = version >= 2 ? r.int32("generationId") : -1;
  const rackId = version >= 3 ? r.string("rackId", true) : null;
  return { version, topics, userData, ownedPartitions, generationId, rackId };
}

/** Reads only the v0 prefix every version shares (version, topics); null for bytes that do not parse. */
export function tryDecodeSubscriptionTopics(bytes: Uint8Array): string[] | null {
  try {
    const r = new Reader(bytes);
    readVersion(r);
    const topicCount = r.count("topics", 2, topicsPerMemberMax);
    const topics: string[] = [];
    for (let i = 0; i < topicCount; i++) topics.push(r.string("topic", false)!);
    return topics;
  } catch (error) {
    if (error instanceof ConsumerProtocolError) return null;
    throw error;
  }
}

/** Decodes, or returns null for bytes that are not a subscription. */
export function tryDecodeSubscription(bytes: Uint8Array): Subscription | null {
  try {
    return decodeSubscription(bytes);
  } catch (error) {
    if (error instanceof ConsumerProtocolError) return null;
    throw error;
  }
}

export function encodeAssignment(assignment: Omit<Assignment, "version">, version = 1): Uint8Array {
  invariant(version >= 0 && version <= consumerProtocolVersionMax, "encodeAssignment: bad version");
  const w = new Writer();
  w.int16(version);
  w.topicPartitions(assignment.assignedPartitions);
  w.nullableBytes(assignment.userData);
  return w.done();
}

export function decodeAssignment(bytes: Uint8Array): Assignment {
  const r = new Reader(bytes);
  // An empty assignment (a member the leader gave nothing, or a reset one) decodes as no partitions.
  if (bytes.length === 0) return { version: 0, assignedPartitions: [], userData: null };
  const version = readVersion(r);
  const assignedPartitions = r.topicPartitions("assignedPartitions");
  const userData = r.nullableBytes("userData");
  return { version, assignedPartitions, userData };
}
