/**
 * The clients' side of a run, read from the trace lines the simulator already writes: every request a
 * producer or consumer sent that reached a broker, the answer it got (its Kafka error code, or none
 * within the request timeout) and which attempt of a send it was, so a learner sees the
 * NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS or REBALANCE_IN_PROGRESS and the retry that followed.
 * Owns that reading only; it must never keep a whole message (they may carry batches) and holds at
 * most `clientRowsMax` rows and `pendingRequestsMax` unanswered requests.
 */
import type { ClientRow } from "../worker-messages.ts";

/** Rows kept (newest last); the page shows the last few. */
export const clientRowsMax = 200;
/** Requests waiting for an answer that the log remembers; the oldest is forgotten beyond this. */
export const pendingRequestsMax = 1_000;
/** Sends whose attempts are counted; the oldest is forgotten beyond this. */
const attemptsTrackedMax = 1_000;

interface Pending {
  readonly client: string;
  readonly api: string;
  readonly broker: string;
  readonly partition: number;
  readonly attempt: number;
  readonly sentMs: number;
}

interface RequestDetail {
  readonly from?: string;
  readonly msg?: {
    readonly request?: {
      readonly api?: string;
      readonly corr?: number;
      readonly partition?: number;
      readonly records?: readonly { readonly value?: number }[];
    };
    readonly response?: { readonly api?: string; readonly corr?: number; readonly error?: string };
  };
}

interface Line {
  readonly t: number;
  readonly kind: string;
  readonly node: string;
  readonly detail: unknown;
}

/** APIs whose every answer is listed; the others (fetches, heartbeats, metadata) only when they fail. */
const alwaysListed = new Set(["Produce", "JoinGroup", "SyncGroup", "LeaveGroup"]);
// Cheap filters on a line's fixed key order, so only client traffic is parsed.
const requestAtBroker = /^\{"i":\d+,"t":\d+,"kind":"recv","node":"b\d+","detail":\{"from":"[pk]\d+"/;
const answerAtClient = /^\{"i":\d+,"t":\d+,"kind":"recv","node":"[pk]\d+"/;
const timeoutAtProducer = /^\{"i":\d+,"t":\d+,"kind":"timer","node":"p\d+".*"request-timeout"/;

export class ClientLog {
  readonly rows: ClientRow[] = [];
  /** Answers by error code ("NONE" included), over the whole run. */
  readonly errorCounts = new Map<string, number>();
  retries = 0;
  timeouts = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly attempts = new Map<string, number>();

  /** Reads one JSON trace line; anything that is not client traffic is skipped unparsed. */
  read(json: string): void {
    if (requestAtBroker.test(json)) this.request(JSON.parse(json) as Line);
    else if (answerAtClient.test(json)) this.answer(JSON.parse(json) as Line);
    else if (timeoutAtProducer.test(json)) this.timeout(JSON.parse(json) as Line);
  }

  private request(line: Line): void {
    const d = line.detail as RequestDetail;
    const req = d.msg?.request;
    if (req === undefined || d.from === undefined || req.api === undefined || req.corr === undefined) return;
    let attempt = 1;
    const value = req.records?.[0]?.value;
    if (req.api === "Produce" && value !== undefined) {
      // A retry resends the same record (its value is unique in the run), so attempts count per value.
      const key = `${d.from}/${value}`;
      attempt = (this.attempts.get(key) ?? 0) + 1;
      this.attempts.set(key, attempt);
      if (this.attempts.size > attemptsTrackedMax) this.attempts.delete(this.attempts.keys().next().value!);
      if (attempt > 1) this.retries++;
    }
    this.pending.set(`${d.from}#${req.corr}`, {
      client: d.from,
      api: req.api,
      broker: line.node,
      partition: req.partition ?? -1,
      attempt,
      sentMs: line.t,
    });
    if (this.pending.size > pendingRequestsMax) this.pending.delete(this.pending.keys().next().value!);
  }

  private answer(line: Line): void {
    const res = (line.detail as RequestDetail).msg?.response;
    if (res?.api === undefined || res.corr === undefined) return;
    const key = `${line.node}#${res.corr}`;
    const sent = this.pending.get(key);
    this.pending.delete(key);
    const error = res.error ?? "NONE";
    this.errorCounts.set(error, (this.errorCounts.get(error) ?? 0) + 1);
    if (error === "NONE" && !alwaysListed.has(res.api)) return;
    this.push({
      tMs: line.t,
      client: line.node,
      api: res.api,
      broker: sent?.broker ?? "?",
      partition: sent?.partition ?? -1,
      attempt: sent?.attempt ?? 1,
      answer: error,
    });
  }

  private timeout(line: Line): void {
    const tag = (line.detail as { tag?: number }).tag ?? 0;
    // Producer timeout timers carry the correlation id they guard (tag >> 3).
    const key = `${line.node}#${tag >> 3}`;
    const sent = this.pending.get(key);
    if (sent === undefined) return;
    this.pending.delete(key);
    this.timeouts++;
    this.push({ ...sent, tMs: line.t, answer: `no answer in ${line.t - sent.sentMs} ms (timeout)` });
  }

  private push(row: ClientRow): void {
    this.rows.push(row);
    if (this.rows.length > clientRowsMax) this.rows.shift();
  }
}
