/**
 * Failover time (issue 12): three broker processes with Kafka's default `broker.session.timeout.ms`
 * (9000) and `broker.heartbeat.interval.ms` (2000); a kafkajs producer writes with acks=all to one
 * partition without pause; its leader is stopped, and the figure is the time from the signal to the
 * first write acknowledged by its successor. Three rounds with SIGKILL (the controller fences the
 * silent broker after its session timeout), three with SIGTERM (a controlled shutdown moves the
 * leaderships before the process exits), each printed with min/median/max beside the goal.
 *
 * Owns only its cluster and its producer. Must never change broker settings beyond the defaults
 * (the figure is what a user gets) and never count an acknowledgement from the stopped broker: an
 * acknowledgement counts when the Produce response that carried it came from another broker (kafkajs
 * reports each response's broker through its request instrumentation event; with one request in
 * flight, the last Produce response before an acknowledgement is the one that carried it). A clean
 * stop moves leaderships before the process exits, so the successor may acknowledge while the old
 * process still runs; the time to exit is printed too. The stopped leader is never the active
 * controller: the figure is a partition's failover, not a controller election as well. A restarted
 * leader leads nothing again, so when no partition qualifies a round creates a new topic
 * (`partitionToStop`).
 *
 * `bun bench/failover.ts [--rounds N]` alone, or from `bun bench/index.ts`.
 */
import { Kafka, logLevel } from "kafkajs";
import { TestCluster } from "../test/cluster-harness.ts";
import { until } from "../test/harness.ts";

/** Rounds per kind of stop unless `--rounds N` says otherwise. */
const roundCountDefault = 3;
/** Bench topics one run may create (each round may need a fresh placement; see `partitionToStop`). */
const topicCountMax = 64;
/** The defaults the goals are stated for. */
const sessionTimeoutMs = 9_000;
const killGoalMs = sessionTimeoutMs + 1_000;
/** The goal for a clean stop is strictly under this. */
const cleanGoalMs = 1_000;
/** A round whose successor acknowledges nothing within this is a failure, not a figure. */
const roundMsMax = 60_000;

export interface FailoverFigures {
  readonly killMs: readonly number[];
  readonly termMs: readonly number[];
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function summary(what: string, figures: readonly number[], goalText: string, goalMs: number): string {
  const sorted = [...figures].sort((a, b) => a - b);
  const missed = sorted.filter((ms) => ms > goalMs).length;
  const verdict = missed === 0 ? "met by every round" : `NOT met by ${missed} of ${sorted.length}`;
  return `${what.padEnd(34)} min ${sorted[0]!.toFixed(0).padStart(6)} ms  median ${median(sorted).toFixed(0).padStart(6)} ms  max ${sorted[sorted.length - 1]!.toFixed(0).padStart(6)} ms   goal ${goalText}: ${verdict}`;
}

/** Creates a bench topic (3 partitions, replication factor 3) and waits for its full ISRs. */
async function createTopic(cluster: TestCluster, topic: string): Promise<void> {
  const admin = new Kafka({
    clientId: "eddy-failover-bench",
    brokers: cluster.bootstrap.split(","),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 3 }] });
  } finally {
    await admin.disconnect();
  }
  await until(`a full ISR on ${topic}`, () => {
    const ps = cluster.partitions(topic);
    return ps.length === 3 && ps.every((p) => p.isrs.length === 3);
  });
}

/**
 * The partition a round stops the leader of: led by a node that is not the active controller, with a
 * full ISR. A stopped leader leads nothing once restarted (nothing moves leaderships back to the
 * preferred replica yet), so after a few rounds every old partition may be led by the controller; then
 * a new topic is created, whose placement spreads its leaders again. `topics` grows by that topic.
 */
async function partitionToStop(
  cluster: TestCluster,
  topics: string[],
): Promise<{ topic: string; partition: number; leader: number }> {
  const controller = cluster.metadata().controllerid;
  for (const topic of topics) {
    const p = cluster.partitions(topic).find((x) => x.leader !== controller && x.isrs.length === 3);
    if (p !== undefined) return { topic, partition: p.partition, leader: p.leader };
  }
  if (topics.length >= topicCountMax) throw new Error(`no partition to stop in ${topics.length} topics`);
  const topic = `failover-bench-${topics.length}`;
  await createTopic(cluster, topic);
  topics.push(topic);
  const p = cluster.partitions(topic).find((x) => x.leader !== controller && x.isrs.length === 3);
  if (p === undefined) throw new Error(`no partition of the new ${topic} led by a non-controller`);
  return { topic, partition: p.partition, leader: p.leader };
}

/** One round: writes to the partition a non-controller leads, stops that leader, times the successor's first ack. */
async function round(
  cluster: TestCluster,
  topics: string[],
  signal: "SIGKILL" | "SIGTERM",
): Promise<{ failoverMs: number; exitMs: number; code: number }> {
  const chosen = await partitionToStop(cluster, topics);
  const { topic, leader } = chosen;
  const kafka = new Kafka({
    clientId: "eddy-failover-bench",
    brokers: cluster.bootstrap.split(","),
    logLevel: logLevel.NOTHING,
    // Short retry backoff, so the figure is mostly the broker's and little the client's waiting.
    retry: { retries: 1_000, initialRetryTime: 50, maxRetryTime: 200 },
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
  const leaderAddress = cluster.bootstrapOf([leader]);
  let lastProduceBroker = "";
  producer.on(producer.events.REQUEST, (event) => {
    if (event.payload.apiName === "Produce") lastProduceBroker = event.payload.broker;
  });
  await producer.connect();
  let signalledAt = Number.POSITIVE_INFINITY;
  let firstSuccessorAck: number | null = null;
  let acked = 0;
  let sending = true;
  const loop = (async () => {
    for (let seq = 0; sending; seq++) {
      try {
        await producer.send({
          topic,
          acks: -1,
          messages: [{ partition: chosen.partition, value: `failover-${seq}` }],
        });
        acked++;
        const at = performance.now();
        if (at > signalledAt && lastProduceBroker !== leaderAddress && firstSuccessorAck === null) {
          firstSuccessorAck = at;
        }
      } catch {
        // kafkajs gave up on this one (it retries 1,000 times first); the next send tries again.
      }
    }
  })();
  try {
    await until("writes acknowledged before the stop", () => acked >= 100, 30_000);
    signalledAt = performance.now();
    const exited = cluster.stopNode(leader, signal).then((code) => ({ code, at: performance.now() }));
    await until("an acknowledgement from the successor", () => firstSuccessorAck !== null, roundMsMax);
    const { code, at } = await exited;
    return { failoverMs: firstSuccessorAck! - signalledAt, exitMs: at - signalledAt, code };
  } finally {
    sending = false;
    await loop;
    await producer.disconnect();
    await cluster.startNode(leader);
    await until(
      "the restarted broker back in every ISR",
      () => topics.every((t) => cluster.partitions(t).every((p) => p.isrs.length === 3)),
      60_000,
    );
  }
}

/** Runs every round and prints the figures. */
export async function runFailoverBench(roundCount = roundCountDefault): Promise<FailoverFigures> {
  console.log(
    `\nFailover: 3 broker processes, Kafka's default broker.session.timeout.ms ${sessionTimeoutMs} and heartbeat 2000 ms, kafkajs acks=all to one partition (replication factor 3, min.insync.replicas 2)`,
  );
  const cluster = await TestCluster.start({
    nodes: 3,
    defaultSessionTimeout: true,
    properties: { "min.insync.replicas": "2" },
  });
  const topics: string[] = [];
  try {
    const killMs: number[] = [];
    const termMs: number[] = [];
    for (const [signal, figures] of [
      ["SIGKILL", killMs],
      ["SIGTERM", termMs],
    ] as const) {
      for (let i = 0; i < roundCount; i++) {
        const r = await round(cluster, topics, signal);
        figures.push(r.failoverMs);
        console.log(
          `  ${signal} round ${i + 1}: first acknowledgement by the successor after ${r.failoverMs.toFixed(0)} ms; the old leader exited (code ${r.code}) after ${r.exitMs.toFixed(0)} ms`,
        );
      }
    }
    console.log(
      summary("kill -9 of the leader", killMs, `<= ${killGoalMs} ms (session timeout + 1 s)`, killGoalMs),
    );
    console.log(summary("SIGTERM (controlled shutdown)", termMs, `< ${cleanGoalMs} ms`, cleanGoalMs - 1));
    console.log(
      "  (a shared 2-core machine: figures swing with other load; the time includes kafkajs's metadata refresh and retry backoff of 50-200 ms)",
    );
    return { killMs, termMs };
  } catch (error) {
    console.log(cluster.outputs());
    throw error;
  } finally {
    await cluster.close();
  }
}

/** `--rounds N`: rounds per kind of stop (default 3); a clean-stop stall shows more often in more rounds. */
function roundsArgument(args: readonly string[]): number {
  const at = args.indexOf("--rounds");
  if (at < 0) return roundCountDefault;
  const n = Number(args[at + 1]);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new Error(`--rounds takes 1..100, not ${args[at + 1]}`);
  return n;
}

if (import.meta.main) await runFailoverBench(roundsArgument(process.argv.slice(2)));
