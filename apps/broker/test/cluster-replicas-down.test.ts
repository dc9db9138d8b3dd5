/**
 * Two replicas of three down (issue 12): acks=all is refused, nothing acknowledged is lost.
 *
 * Five processes, so the controller quorum (3 of 5 voters) survives two of them dying. A topic with
 * replication factor 3 and min.insync.replicas=2; two replicas of one partition (neither the active
 * controller) are killed with SIGKILL. The controller fences both after their session (3 s here) and
 * takes them out of the ISR, which is then the survivor alone: a produce with acks=all is refused
 * with NOT_ENOUGH_REPLICAS before anything is appended (kafkajs sees a KafkaJSProtocolError of type
 * NOT_ENOUGH_REPLICAS), while acks=1 is still acknowledged. Once the two are back in the ISR, every
 * record acknowledged before, during and after is read back in order, and the refused one is not.
 *
 * In a cluster of three, where every node is also a controller voter, two nodes down leave the
 * quorum without a majority: no broker can be fenced and no ISR can shrink, so the committed ISR
 * still names all three and a produce with acks=all is not refused but waits for followers that do
 * not fetch, until its timeout (REQUEST_TIMED_OUT). The second test shows that, past a session
 * timeout, and that nothing acknowledged is lost when the two return.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { type AckedRecord, ackProblems, readBack, TestCluster } from "./cluster-harness.ts";
import { until } from "./harness.ts";

let cluster: TestCluster | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

const kafkaFor = (bootstrap: string, retries: number) =>
  new Kafka({
    clientId: "eddy-replicas-down",
    brokers: bootstrap.split(","),
    logLevel: logLevel.NOTHING,
    retry: { retries, initialRetryTime: 100, maxRetryTime: 1_000 },
  });

/** The Kafka error type named by an error or anything in its chain of causes (kafkajs wraps retried errors). */
function protocolErrorType(error: unknown): string | null {
  for (
    let e = error as { type?: string; name?: string; cause?: unknown } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    if (e.name === "KafkaJSProtocolError" && typeof e.type === "string") return e.type;
  }
  return null;
}

async function produceAcked(
  bootstrap: string,
  topic: string,
  partition: number,
  values: readonly string[],
  acks: -1 | 1,
): Promise<AckedRecord[]> {
  const producer = kafkaFor(bootstrap, 20).producer({
    allowAutoTopicCreation: false,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const acked: AckedRecord[] = [];
  try {
    for (const value of values) {
      const [meta] = await producer.send({ topic, acks, messages: [{ partition, value }] });
      acked.push({ partition, value, offset: Number(meta!.baseOffset) });
    }
  } finally {
    await producer.disconnect();
  }
  return acked;
}

/** Sends one record with no retries and resolves with the Kafka error type it got, or "none". */
async function produceOnce(
  bootstrap: string,
  topic: string,
  partition: number,
  value: string,
  acks: -1 | 1,
  timeoutMs: number,
): Promise<string> {
  const producer = kafkaFor(bootstrap, 0).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks, timeout: timeoutMs, messages: [{ partition, value }] });
    return "none";
  } catch (error) {
    return protocolErrorType(error) ?? `not a protocol error: ${String(error)}`;
  } finally {
    await producer.disconnect();
  }
}

/**
 * The client addresses of the running nodes. A kafkajs client with no retries fails at its first
 * connection when the seed it picks at random is a killed node, so clients made while nodes are
 * down are given only the live ones.
 */
const live = (c: TestCluster) => c.bootstrapOf(c.liveNodeIds);

const values = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(4, "0")}`);

describe("two replicas of three down", () => {
  test("five nodes: the ISR shrinks to the survivor, acks=all is refused with NOT_ENOUGH_REPLICAS, acks=1 works, nothing acknowledged is lost", async () => {
    const c = await TestCluster.start({ nodes: 5, properties: { "min.insync.replicas": "2" } });
    cluster = c;
    const topic = "two-down";
    const admin = kafkaFor(c.bootstrap, 10).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 5, replicationFactor: 3 }] });
    await admin.disconnect();
    const partitions = await until("a full ISR on every partition", () => {
      const ps = c.partitions(topic);
      return ps.length === 5 && ps.every((p) => p.isrs.length === 3) ? ps : null;
    });
    // A partition whose replicas leave out the active controller, so the kills never cost the
    // quorum an election: what is shown is the ISR rule, not a controller failover.
    const controller = c.metadata().controllerid;
    const chosen = partitions.find((p) => !p.replicas.includes(controller))!;
    expect(chosen).toBeDefined();
    const [first, second, survivor] = chosen.replicas as [number, number, number];
    const partition = chosen.partition;

    const acked = await produceAcked(c.bootstrap, topic, partition, values("before", 50), -1);
    try {
      expect(await c.stopNode(first, "SIGKILL")).not.toBe(0);
      expect(await c.stopNode(second, "SIGKILL")).not.toBe(0);
      await until(
        "the ISR to be the survivor alone",
        () => {
          const p = c.partitions(topic)[partition]!;
          return p.leader === survivor && p.isrs.length === 1 && p.isrs[0] === survivor;
        },
        30_000,
      );
      expect(await produceOnce(live(c), topic, partition, "refused-all", -1, 5_000)).toBe(
        "NOT_ENOUGH_REPLICAS",
      );
      acked.push(...(await produceAcked(live(c), topic, partition, values("during-acks1", 20), 1)));
      // Still refused after records were appended with acks=1: the rule is the ISR's size.
      expect(await produceOnce(live(c), topic, partition, "refused-all-2", -1, 5_000)).toBe(
        "NOT_ENOUGH_REPLICAS",
      );

      await Promise.all([c.startNode(first), c.startNode(second)]);
      await until("both back in the ISR", () => c.partitions(topic)[partition]!.isrs.length === 3, 40_000);
      acked.push(...(await produceAcked(c.bootstrap, topic, partition, values("after", 20), -1)));
    } catch (error) {
      console.log(JSON.stringify(c.partitions(topic)));
      console.log(c.outputs());
      throw error;
    }
    const stored = readBack(c.bootstrap, topic).filter((r) => r.partition === partition);
    expect(ackProblems(stored, acked)).toEqual([]);
    // NOT_ENOUGH_REPLICAS is decided before the append: the refused records were never stored.
    expect(stored.filter((r) => r.value.startsWith("refused"))).toEqual([]);
    expect(acked.length).toBe(90);
  }, 120_000);

  test("three nodes: two down leave no controller quorum, so the ISR cannot shrink and acks=all times out; nothing acknowledged is lost", async () => {
    const c = await TestCluster.start({ nodes: 3, properties: { "min.insync.replicas": "2" } });
    cluster = c;
    const topic = "no-quorum";
    const admin = kafkaFor(c.bootstrap, 10).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3 }] });
    await admin.disconnect();
    const [p0] = await until("a full ISR", () => {
      const ps = c.partitions(topic);
      return ps.length === 1 && ps[0]!.isrs.length === 3 ? ps : null;
    });
    // The partition's leader stays up; the other two, whichever holds the active controller, die.
    const leader = p0!.leader;
    const victims = p0!.replicas.filter((id) => id !== leader);
    const acked = await produceAcked(c.bootstrap, topic, 0, values("before", 50), -1);
    try {
      for (const id of victims) expect(await c.stopNode(id, "SIGKILL")).not.toBe(0);
      // Past the 3 s session timeout: with a quorum the two would be fenced by now.
      await Bun.sleep(6_000);
      const p = c.partitions(topic)[0]!;
      expect(p.leader).toBe(leader);
      expect([...p.isrs].sort()).toEqual([1, 2, 3]);
      const started = performance.now();
      expect(await produceOnce(live(c), topic, 0, "timed-out", -1, 3_000)).toBe("REQUEST_TIMED_OUT");
      // It waited for its whole timeout rather than being refused at once.
      expect(performance.now() - started).toBeGreaterThan(2_500);
      // acks=1 needs only the leader.
      acked.push(...(await produceAcked(live(c), topic, 0, values("during-acks1", 20), 1)));

      await Promise.all(victims.map((id) => c.startNode(id)));
      await until("all three in the ISR", () => c.partitions(topic)[0]!.isrs.length === 3, 40_000);
      acked.push(...(await produceAcked(c.bootstrap, topic, 0, values("after", 20), -1)));
    } catch (error) {
      console.log(JSON.stringify(c.partitions(topic)));
      console.log(c.outputs());
      throw error;
    }
    expect(ackProblems(readBack(c.bootstrap, topic), acked)).toEqual([]);
    expect(acked.length).toBe(90);
  }, 120_000);
});
