/**
 * The producer settings controls: reads the producer, acks, partitioner, partition and key fields into
 * the simulator's `producer` learner input (acks 0, 1 or all; explicit partition, key hash with
 * Kafka's murmur2, or round robin), which the worker applies and records with its step, so a link
 * replays it. Owns those fields; it must never send anything itself or keep run state.
 */
import type { LearnerInput, Partitioner } from "@eddy/sim";

/**
 * The highest partition the field takes: the simulator's `learnerPartitionMax`, repeated here because
 * importing a value from @eddy/sim would pull the simulator into the page's bundle (the worker holds
 * it); the model refuses a partition the topic lacks either way.
 */
const partitionFieldMax = 63;

function field(id: string): string {
  const node = document.getElementById(id) as HTMLInputElement | HTMLSelectElement | null;
  if (node === null) throw new Error(`studio page: missing #${id}`);
  return node.value;
}

/** The partitioner the fields name; undefined for an explicit partition that is not a number in range. */
export function partitionerOf(kind: string, partitionText: string): Partitioner | undefined {
  if (kind === "hash") return { kind: "keyHash" };
  if (kind === "rr") return { kind: "roundRobin" };
  if (kind !== "explicit") return undefined;
  const partition = Number(partitionText);
  if (partitionText.trim() === "" || !Number.isInteger(partition)) return undefined;
  return partition >= 0 && partition <= partitionFieldMax ? { kind: "explicit", partition } : undefined;
}

/** Keys the field takes, 0 to this (the simulator's `learnerKeyMax`). */
const keyFieldMax = 1_000_000;

/** The key field: undefined when empty (the producer keeps its own keys), null when not a key. */
export function keyOf(text: string): number | undefined | null {
  if (text.trim() === "") return undefined;
  const key = Number(text);
  return Number.isInteger(key) && key >= 0 && key <= keyFieldMax ? key : null;
}

/** The input the fields make now; undefined when a field is invalid (the page then sends nothing). */
export function producerSettingsInput(): LearnerInput | undefined {
  const acksText = field("acks-select");
  const acks = acksText === "all" ? -1 : acksText === "1" ? 1 : acksText === "0" ? 0 : undefined;
  const partitioner = partitionerOf(field("partitioner-select"), field("partition-input"));
  const key = keyOf(field("settings-key"));
  if (acks === undefined || partitioner === undefined || key === null) return undefined;
  const producer = field("settings-producer");
  return key === undefined
    ? { kind: "producer", producer, acks, partitioner }
    : { kind: "producer", producer, acks, partitioner, key };
}
