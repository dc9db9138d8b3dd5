/**
 * The client-visible history of a run: produce invocations and their outcomes, polled records and
 * offset commits, in the order they happened. The history checkers read it after the run (Jepsen
 * style); nothing here inspects broker internals.
 */
import { invariant } from "@eddy/core";

export const historyOpsMax = 2_000_000;

export type Acks = 0 | 1 | -1;

export interface ProduceOp {
  readonly id: number;
  readonly producer: string;
  readonly partition: number;
  readonly value: number;
  readonly key: number | null;
  readonly acks: Acks;
  readonly idempotent: boolean;
  readonly invokeMs: number;
  outcome: "pending" | "ok" | "fail";
  offset: number;
  completeMs: number;
  attempts: number;
}

export interface PollRecord {
  readonly consumer: string;
  readonly group: string;
  readonly partition: number;
  readonly offset: number;
  readonly value: number;
  readonly atMs: number;
  /** Counts this consumer's assignment changes: order checks apply only within one assignment. */
  readonly assignmentEpoch: number;
}

export interface CommitRecord {
  readonly consumer: string;
  readonly group: string;
  readonly partition: number;
  readonly offset: number;
  readonly generation: number;
  readonly atMs: number;
  readonly accepted: boolean;
}

export class History {
  readonly produces: ProduceOp[] = [];
  readonly polls: PollRecord[] = [];
  readonly commits: CommitRecord[] = [];

  invokeProduce(op: Omit<ProduceOp, "id" | "outcome" | "offset" | "completeMs" | "attempts">): ProduceOp {
    invariant(this.produces.length < historyOpsMax, "History: too many produces");
    // Written out field by field (the spread's order): one fixed-shape allocation per send.
    const full: ProduceOp = {
      producer: op.producer,
      partition: op.partition,
      value: op.value,
      key: op.key,
      acks: op.acks,
      idempotent: op.idempotent,
      invokeMs: op.invokeMs,
      id: this.produces.length,
      outcome: "pending",
      offset: -1,
      completeMs: -1,
      attempts: 0,
    };
    this.produces.push(full);
    return full;
  }

  completeProduce(op: ProduceOp, outcome: "ok" | "fail", offset: number, atMs: number): void {
    invariant(op.outcome === "pending", "History: produce completed twice");
    op.outcome = outcome;
    op.offset = offset;
    op.completeMs = atMs;
  }

  poll(record: PollRecord): void {
    invariant(this.polls.length < historyOpsMax, "History: too many polls");
    this.polls.push(record);
  }

  commit(record: CommitRecord): void {
    invariant(this.commits.length < historyOpsMax, "History: too many commits");
    this.commits.push(record);
  }
}
