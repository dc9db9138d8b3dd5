/**
 * `/metrics` on a broker started with `--admin-port`, parsed by a real Prometheus text-format parser:
 * counters move as kcat produces and consumes (messages and bytes in and out per topic, requests and
 * their latency histogram per API), the log gauges agree with what was produced, the cluster gauges
 * say what a healthy single node is, and the lag gauge matches `bun run eddy groups describe --output
 * json` partition by partition.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "bun";
import {
  type AdminBroker,
  histogramOf,
  sampleValue,
  scrapeMetrics,
  startAdminBroker,
} from "./admin-harness.ts";
import { kcat, removeDir, repoRoot, until } from "./harness.ts";

/** Each test starts clients and waits on a real broker; the 5 s default is too short on a busy machine. */
const testTimeoutMs = 60_000;

let running: AdminBroker;

beforeAll(async () => {
  running = await startAdminBroker({ args: ["--override", "group.initial.rebalance.delay.ms=0"] });
}, testTimeoutMs);

afterAll(async () => {
  await running.broker.stop();
  removeDir(running.broker.dataDir);
});

const produce = (topic: string, lines: string[], key = false): void => {
  kcat(
    ["-P", "-b", running.broker.bootstrap, "-t", topic, ...(key ? ["-K", ":"] : [])],
    `${lines.join("\n")}\n`,
  );
};

/** `bun run eddy ARGS` against the test broker; its JSON output parsed. */
function eddyJson(...args: string[]): unknown {
  const run = spawnSync(["bun", "run", "eddy", "-b", running.broker.bootstrap, ...args, "--output", "json"], {
    cwd: repoRoot,
    timeout: 60_000,
  });
  if (run.exitCode !== 0) throw new Error(`eddy ${args.join(" ")} exited ${run.exitCode}: ${run.stderr}`);
  return JSON.parse(run.stdout.toString());
}

describe("/metrics", () => {
  test(
    "counters move as kcat produces and consumes; log gauges agree with what was produced",
    async () => {
      const topic = "metrics-orders";
      produce(
        topic,
        Array.from({ length: 10 }, (_, i) => `order-${i}`),
      );
      const first = await scrapeMetrics(running.admin);
      expect(sampleValue(first.families, "kafka_server_brokertopicmetrics_messagesin_total", { topic })).toBe(
        10,
      );
      const bytesInFirst = sampleValue(first.families, "kafka_server_brokertopicmetrics_bytesin_total", {
        topic,
      })!;
      expect(bytesInFirst).toBeGreaterThan(10 * "order-0".length);
      const producesFirst = sampleValue(first.families, "kafka_network_requestmetrics_requests_total", {
        request: "Produce",
      })!;
      expect(producesFirst).toBeGreaterThanOrEqual(1);

      produce(
        topic,
        Array.from({ length: 7 }, (_, i) => `late-${i}`),
      );
      const second = await scrapeMetrics(running.admin);
      expect(
        sampleValue(second.families, "kafka_server_brokertopicmetrics_messagesin_total", { topic }),
      ).toBe(17);
      const bytesIn = sampleValue(second.families, "kafka_server_brokertopicmetrics_bytesin_total", {
        topic,
      })!;
      expect(bytesIn).toBeGreaterThan(bytesInFirst);
      const produces = sampleValue(second.families, "kafka_network_requestmetrics_requests_total", {
        request: "Produce",
      })!;
      expect(produces).toBeGreaterThan(producesFirst);
      // Nothing was deleted or compacted: the log holds exactly the batches appended, in one segment.
      const partition = { topic, partition: "0" };
      expect(sampleValue(second.families, "kafka_log_log_size", partition)).toBe(bytesIn);
      expect(sampleValue(second.families, "kafka_log_log_numlogsegments", partition)).toBe(1);
      expect(sampleValue(second.families, "kafka_log_log_logstartoffset", partition)).toBe(0);
      expect(sampleValue(second.families, "kafka_log_log_logendoffset", partition)).toBe(17);

      // The latency histogram counts every Produce, its buckets cumulative up to +Inf.
      const histogram = histogramOf(
        second.text,
        "kafka_network_requestmetrics_totaltimems",
        "request",
        "Produce",
      );
      expect(histogram).not.toBeNull();
      expect(histogram!.count).toBe(produces);
      expect(histogram!.buckets.get("+Inf")).toBe(produces);
      expect(histogram!.sum).toBeGreaterThan(0);
      // Sorted by bound: the parser returns the buckets as an object, whose integer keys come first.
      const counts = [...histogram!.buckets]
        .sort(([a], [b]) => Number(a.replace("+Inf", "Infinity")) - Number(b.replace("+Inf", "Infinity")))
        .map(([, count]) => count);
      expect(counts).toHaveLength(16);
      for (let i = 1; i < counts.length; i++) expect(counts[i]!).toBeGreaterThanOrEqual(counts[i - 1]!);

      // Reading everything back sends every byte appended at least once.
      const read = kcat(["-C", "-b", running.broker.bootstrap, "-t", topic, "-o", "beginning", "-e", "-q"]);
      expect(read.trim().split("\n")).toHaveLength(17);
      const third = await scrapeMetrics(running.admin);
      expect(
        sampleValue(third.families, "kafka_server_brokertopicmetrics_bytesout_total", { topic }),
      ).toBeGreaterThanOrEqual(bytesIn);
      expect(
        sampleValue(third.families, "kafka_network_requestmetrics_requests_total", { request: "Fetch" }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        sampleValue(third.families, "kafka_server_brokertopicmetrics_totalproducerequests_total", { topic }),
      ).toBeGreaterThanOrEqual(2);
      expect(
        sampleValue(third.families, "kafka_server_brokertopicmetrics_failedproducerequests_total", { topic }),
      ).toBeNull();
      expect(
        sampleValue(third.families, "kafka_server_brokertopicmetrics_totalfetchrequests_total", { topic }),
      ).toBeGreaterThanOrEqual(1);
    },
    testTimeoutMs,
  );

  test(
    "a refused produce counts as a failed produce request and appends nothing",
    async () => {
      const topic = "metrics-small";
      const created = await fetch(`${running.admin}/api/v1/topics`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: topic, configs: { "max.message.bytes": "200" } }),
      });
      expect(created.status).toBe(201);
      // kcat reports the refusal (MESSAGE_TOO_LARGE) and exits; its exit code is not what is tested.
      Bun.spawnSync(
        ["kcat", "-P", "-b", running.broker.bootstrap, "-t", topic, "-X", "message.send.max.retries=0"],
        {
          stdin: new TextEncoder().encode(`${"x".repeat(1_000)}\n`),
          timeout: 30_000,
        },
      );
      const { families } = await scrapeMetrics(running.admin);
      expect(
        sampleValue(families, "kafka_server_brokertopicmetrics_failedproducerequests_total", { topic }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        sampleValue(families, "kafka_server_brokertopicmetrics_totalproducerequests_total", { topic }),
      ).toBeGreaterThanOrEqual(1);
      expect(sampleValue(families, "kafka_server_brokertopicmetrics_messagesin_total", { topic })).toBeNull();
      expect(sampleValue(families, "kafka_log_log_size", { topic, partition: "0" })).toBe(0);
    },
    testTimeoutMs,
  );

  test(
    "a healthy single node: its own active controller, nothing offline or under-replicated",
    async () => {
      produce("metrics-health", ["x"]);
      // A connection held open is counted while it is open.
      const socket = await Bun.connect({
        hostname: "127.0.0.1",
        port: running.broker.port,
        socket: { data() {} },
      });
      try {
        const { families } = await scrapeMetrics(running.admin);
        expect(sampleValue(families, "kafka_controller_kafkacontroller_activecontrollercount")).toBe(1);
        expect(sampleValue(families, "kafka_controller_kafkacontroller_offlinepartitionscount")).toBe(0);
        expect(sampleValue(families, "kafka_server_replicamanager_underreplicatedpartitions")).toBe(0);
        expect(sampleValue(families, "kafka_server_replicamanager_leadercount")).toBeGreaterThanOrEqual(1);
        expect(sampleValue(families, "kafka_server_replicamanager_isrshrinks_total")).toBe(0);
        expect(sampleValue(families, "kafka_server_replicamanager_isrexpands_total")).toBe(0);
        expect(sampleValue(families, "kafka_server_kafkaserver_brokerstate")).toBe(3);
        expect(
          sampleValue(families, "kafka_server_socket_server_metrics_connection_count"),
        ).toBeGreaterThanOrEqual(1);
        expect(sampleValue(families, "process_resident_memory_bytes")).toBeGreaterThan(10 * 1024 * 1024);
        expect(sampleValue(families, "eddy_metrics_series_dropped_total")).toBe(0);
        const types = new Map(families.map((f) => [f.name, f.type]));
        expect(types.get("kafka_server_brokertopicmetrics_messagesin_total")).toBe("COUNTER");
        expect(types.get("kafka_consumergroup_lag")).toBe("GAUGE");
        expect(types.get("kafka_network_requestmetrics_totaltimems")).toBe("HISTOGRAM");
      } finally {
        socket.end();
      }
    },
    testTimeoutMs,
  );

  test(
    "the lag gauge matches `eddy groups describe --output json` partition by partition",
    async () => {
      const topic = "metrics-lag";
      const group = "metrics-billing";
      const created = spawnSync(
        [
          "bun",
          "run",
          "eddy",
          "-b",
          running.broker.bootstrap,
          "topics",
          "create",
          topic,
          "--partitions",
          "3",
        ],
        { cwd: repoRoot, timeout: 60_000 },
      );
      expect(created.exitCode).toBe(0);
      // Keys spread the records over the three partitions (librdkafka's murmur2 partitioner).
      produce(
        topic,
        Array.from({ length: 30 }, (_, i) => `k${i}:v${i}`),
        true,
      );
      // A kcat member reads 12 records and commits what it read as it leaves.
      kcat([
        "-b",
        running.broker.bootstrap,
        "-G",
        group,
        "-X",
        "auto.offset.reset=earliest",
        "-c",
        "12",
        "-q",
        topic,
      ]);
      const described = eddyJson("groups", "describe", group) as {
        offsets: { topic: string; partition: number; committedOffset: number | null; lag: number | null }[];
      };
      const committed = described.offsets.filter((o) => o.topic === topic && o.lag !== null);
      expect(committed.length).toBeGreaterThan(0);
      const { families } = await scrapeMetrics(running.admin);
      let total = 0;
      for (const o of committed) {
        const lag = sampleValue(families, "kafka_consumergroup_lag", {
          group,
          topic,
          partition: String(o.partition),
        });
        expect({ partition: o.partition, lag }).toEqual({ partition: o.partition, lag: o.lag });
        expect(
          sampleValue(families, "kafka_consumergroup_current_offset", {
            group,
            topic,
            partition: String(o.partition),
          }),
        ).toBe(o.committedOffset);
        total += o.lag!;
      }
      // 30 produced, 12 read and committed: what is left is the group's lag (uncommitted partitions aside).
      const lagFamily = families.find((f) => f.name === "kafka_consumergroup_lag")!;
      const gaugeTotal = lagFamily.metrics
        .filter((m) => m.labels?.group === group)
        .reduce((sum, m) => sum + Number(m.value), 0);
      expect(gaugeTotal).toBe(total);

      // More records raise the lag by as many, and the gauge follows at the next scrape.
      produce(
        topic,
        Array.from({ length: 9 }, (_, i) => `k${i}:more${i}`),
        true,
      );
      await until("the lag gauge to grow with the CLI's lag", async () => {
        const again = eddyJson("groups", "describe", group) as typeof described;
        const scraped = await scrapeMetrics(running.admin);
        const cliTotal = again.offsets.reduce((sum, o) => sum + (o.lag ?? 0), 0);
        const metricTotal = scraped.families
          .find((f) => f.name === "kafka_consumergroup_lag")!
          .metrics.filter((m) => m.labels?.group === group)
          .reduce((sum, m) => sum + Number(m.value), 0);
        return metricTotal === cliTotal && metricTotal > total ? true : null;
      });
    },
    testTimeoutMs,
  );
});
