/**
 * Learner inputs: what a person driving one run (the teaching studio) may do to it between two steps
 * — kill, stop cleanly or restart a server, cut or heal links, drop or delay a link's messages, pause a process,
 * fail a disk write, produce a keyed record, add or remove a consumer, turn a known bug on. Each is
 * plain data with a one-line text form (`format`/`parse`), so a list of inputs with the step each was
 * applied at travels in a link and replays exactly. This module owns the shapes, their text form and
 * their validation; it must never touch a run (stepped-run.ts and learner-apply.ts apply them).
 */
import { type BugName, isBugName } from "./bugs.ts";
import type { Acks } from "./history.ts";

/** Inputs one run may take at most: the link carries them all, so they stay few. */
export const learnerInputsMax = 200;
/** The longest drop, delay or pause a learner may ask for. */
export const learnerDurationMsMax = 60_000;
/** Keys a learner may give a record, 0 to this. */
export const learnerKeyMax = 1_000_000;
/** The highest partition a learner may name for the explicit partitioner (the model checks its count). */
export const learnerPartitionMax = 63;

/**
 * How a producer picks a record's partition once a learner set it: the partition named in the record
 * (explicit), Kafka's default for keyed records (murmur2 of the key, `toPositive(hash) % n`), or each
 * record to the next partition in turn (round robin; also what a hashed producer does with a record
 * that has no key).
 */
export type Partitioner =
  | { readonly kind: "explicit"; readonly partition: number }
  | { readonly kind: "keyHash" }
  | { readonly kind: "roundRobin" };

export type LearnerInput =
  /** Hard crash of a server (or a consumer client): it loses every unflushed write. */
  | { readonly kind: "crash"; readonly node: string }
  | { readonly kind: "restart"; readonly node: string }
  /** Clean stop of a server (SIGTERM): a broker hands its leaderships over first (controlled shutdown). */
  | { readonly kind: "stop"; readonly node: string }
  /** Cuts `from -> to`, and `to -> from` too unless `oneWay`. */
  | { readonly kind: "cut"; readonly from: string; readonly to: string; readonly oneWay: boolean }
  /** Heals every cut, delay and slow node. */
  | { readonly kind: "heal" }
  /** Every message on `from -> to` is lost for `durationMs`, those in flight included. */
  | { readonly kind: "drop"; readonly from: string; readonly to: string; readonly durationMs: number }
  /** Messages on `from -> to` are held for `durationMs` and then arrive as a burst. */
  | { readonly kind: "delay"; readonly from: string; readonly to: string; readonly durationMs: number }
  /** The process stops handling events (SIGSTOP) for `durationMs`; its inbox keeps filling. */
  | { readonly kind: "pause"; readonly node: string; readonly durationMs: number }
  /** The broker's next log write fails with an I/O error. */
  | { readonly kind: "diskFail"; readonly node: string }
  /** The producer sends one record with this key (partition: key mod partitions) as soon as it can. */
  | { readonly kind: "produce"; readonly producer: string; readonly key: number }
  /**
   * The producer's acks and partitioner from its next send on (the send in flight keeps its own).
   * Kafka requires acks=all for an idempotent producer, so the model refuses 0 or 1 for one.
   */
  | {
      readonly kind: "producer";
      readonly producer: string;
      /** The key its own sends carry from now on; absent, the model's (drawn keys, or none). */
      readonly key?: number;
      readonly acks: Acks;
      readonly partitioner: Partitioner;
    }
  /** One more member joins the consumer group (the model keeps spare consumers for this). */
  | { readonly kind: "addConsumer" }
  /** The consumer leaves the group for good (LeaveGroup), as a clean shutdown would. */
  | { readonly kind: "removeConsumer"; readonly consumer: string }
  /** A known bug of the simulator's corpus is switched on from now on. */
  | { readonly kind: "bug"; readonly bug: BugName };

export type LearnerInputKind = LearnerInput["kind"];

/** An input and the step it was applied at (after that many steps, before the next). */
export interface TimedInput {
  readonly step: number;
  readonly input: LearnerInput;
}

/** A node's name ("b1"), or a role alias the simulator resolves when the input applies. */
const nodePattern =
  /^([a-z]{1,3}[0-9]{1,2}|leader:[0-9]{1,2}|follower:[0-9]{1,2}|controller:active|last-crashed)$/;

function duration(text: string | undefined): number | undefined {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 && n <= learnerDurationMsMax ? n : undefined;
}

function node(text: string | undefined): string | undefined {
  return text !== undefined && nodePattern.test(text) ? text : undefined;
}

/** The input's text form: fields joined by '.', URL-safe ("crash.b1", "cut.b0.b2.1", "produce.p0.7"). */
export function formatInput(input: LearnerInput): string {
  switch (input.kind) {
    case "crash":
    case "restart":
    case "stop":
    case "diskFail":
      return `${input.kind}.${input.node}`;
    case "cut":
      return `cut.${input.from}.${input.to}.${input.oneWay ? 1 : 2}`;
    case "heal":
    case "addConsumer":
      return input.kind;
    case "drop":
    case "delay":
      return `${input.kind}.${input.from}.${input.to}.${input.durationMs}`;
    case "pause":
      return `pause.${input.node}.${input.durationMs}`;
    case "produce":
      return `produce.${input.producer}.${input.key}`;
    case "producer":
      return `producer.${input.producer}.${input.acks === -1 ? "all" : input.acks}.${formatPartitioner(input.partitioner)}${input.key === undefined ? "" : `.k${input.key}`}`;
    case "removeConsumer":
      return `removeConsumer.${input.consumer}`;
    case "bug":
      return `bug.${input.bug}`;
  }
}

/** A partitioner's text form: "hash", "rr" or "to3" (explicit partition 3). */
export function formatPartitioner(p: Partitioner): string {
  if (p.kind === "explicit") return `to${p.partition}`;
  return p.kind === "keyHash" ? "hash" : "rr";
}

function parsePartitioner(text: string | undefined): Partitioner | undefined {
  if (text === "hash") return { kind: "keyHash" };
  if (text === "rr") return { kind: "roundRobin" };
  if (text === undefined || !/^to[0-9]{1,2}$/.test(text)) return undefined;
  const partition = Number(text.slice(2));
  return partition <= learnerPartitionMax ? { kind: "explicit", partition } : undefined;
}

/** Parses one input's text form; undefined for anything malformed (a link is untrusted text). */
export function parseInput(text: string): LearnerInput | undefined {
  const [kind, a, b, c, d] = text.split(".");
  switch (kind) {
    case "crash":
    case "restart":
    case "stop":
    case "diskFail": {
      const n = node(a);
      return n === undefined ? undefined : { kind, node: n };
    }
    case "cut": {
      const from = node(a);
      const to = node(b);
      if (from === undefined || to === undefined || from === to || (c !== "1" && c !== "2")) return undefined;
      return { kind, from, to, oneWay: c === "1" };
    }
    case "heal":
    case "addConsumer":
      return a === undefined ? { kind } : undefined;
    case "drop":
    case "delay": {
      const from = node(a);
      const to = node(b);
      const durationMs = duration(c);
      if (from === undefined || to === undefined || from === to || durationMs === undefined) return undefined;
      return { kind, from, to, durationMs };
    }
    case "pause": {
      const n = node(a);
      const durationMs = duration(b);
      return n === undefined || durationMs === undefined ? undefined : { kind, node: n, durationMs };
    }
    case "produce": {
      const producer = node(a);
      const key = Number(b);
      if (producer === undefined || !Number.isInteger(key) || key < 0 || key > learnerKeyMax)
        return undefined;
      return { kind, producer, key };
    }
    case "producer": {
      const producer = node(a);
      const acks = b === "all" ? -1 : b === "1" ? 1 : b === "0" ? 0 : undefined;
      const partitioner = parsePartitioner(c);
      if (producer === undefined || acks === undefined || partitioner === undefined) return undefined;
      if (d === undefined) return { kind, producer, acks, partitioner };
      const key = /^k[0-9]{1,7}$/.test(d) ? Number(d.slice(1)) : -1;
      if (key < 0 || key > learnerKeyMax) return undefined;
      return { kind, producer, acks, partitioner, key };
    }
    case "removeConsumer": {
      const consumer = node(a);
      return consumer === undefined ? undefined : { kind, consumer };
    }
    case "bug":
      return a !== undefined && isBugName(a) ? { kind, bug: a } : undefined;
    default:
      return undefined;
  }
}

/** A timeline's text form: `step~input` entries joined by '_' ("120~crash.b1_300~heal"). */
export function formatTimeline(inputs: readonly TimedInput[]): string {
  return inputs.map((t) => `${t.step}~${formatInput(t.input)}`).join("_");
}

/**
 * Parses a timeline's text form, keeping the entries in order; undefined if any entry is malformed,
 * the steps go backwards or there are more than `learnerInputsMax`.
 */
export function parseTimeline(text: string, stepMax: number): TimedInput[] | undefined {
  if (text === "") return [];
  const parts = text.split("_");
  if (parts.length > learnerInputsMax) return undefined;
  const out: TimedInput[] = [];
  for (const part of parts) {
    const [stepText, inputText, rest] = part.split("~");
    const step = Number(stepText);
    if (rest !== undefined || inputText === undefined || !Number.isInteger(step)) return undefined;
    if (step < 0 || step > stepMax || (out.length > 0 && step < out[out.length - 1]!.step)) return undefined;
    const input = parseInput(inputText);
    if (input === undefined) return undefined;
    out.push({ step, input });
  }
  return out;
}
