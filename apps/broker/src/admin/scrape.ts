/**
 * One `/metrics` scrape: the request path's counters (`broker-metrics.ts`) and the gauges read from
 * the node at this moment: partitions and leaders, under-replicated and offline partitions, the
 * active controller, each partition's log size, segment count and offsets, consumer-group lag,
 * connections and process memory. Owns what is read and how it is named; it must never change the
 * node, and bounds what one scrape writes (`perPartitionSeriesMax`, `groupsReadMax`) so a broker with
 * many partitions or groups answers a scrape in bounded time and text.
 */
import { writeFetchSessionMetrics } from "../fetch-session/fetch-sessions.ts";
import type { BrokerNode } from "../node/broker-node.ts";
import { metricsOf } from "./broker-metrics.ts";
import { Exposition, type Labels } from "./exposition.ts";
import { describeGroup, type GroupView, listGroups, withLeaderLag } from "./group-view.ts";
import { seriesPerFamilyMax } from "./metrics-registry.ts";

/** Series a per-partition gauge family writes in one scrape; the rest are left out and counted. */
export const perPartitionSeriesMax = seriesPerFamilyMax;

/** What the scrape reads besides the node: the listener's open connections. */
export interface ScrapeSource {
  readonly node: BrokerNode;
  connectionCount(): number;
}

/** Kafka's BrokerState values (kafka.server:type=KafkaServer,name=BrokerState). */
export const brokerStateValue = {
  starting: 1,
  running: 3,
  pendingControlledShutdown: 6,
  shuttingDown: 7,
} as const;

/** The process's own metrics, named as Prometheus client libraries name them. */
function writeProcess(out: Exposition, startedAtMs: number): void {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  out
    .family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
    .sample([], memory.rss);
  out.family("process_heap_bytes", "gauge", "JavaScript heap in use, in bytes.").sample([], memory.heapUsed);
  out
    .family("process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.")
    .sample([], (cpu.user + cpu.system) / 1e6);
  out
    .family(
      "process_start_time_seconds",
      "gauge",
      "Start time of the process since the Unix epoch, in seconds.",
    )
    .sample([], Math.floor(startedAtMs / 1000));
}

/** A scrape before the node is up (or while it stops): the process and the broker's state only. */
export function scrapeProcessOnly(state: number, startedAtMs: number): string {
  const out = new Exposition();
  out
    .family(
      "kafka_server_kafkaserver_brokerstate",
      "gauge",
      "Kafka's BrokerState: 1 starting, 3 running, 7 shutting down.",
    )
    .sample([], state);
  writeProcess(out, startedAtMs);
  return out.text();
}

export async function scrape(source: ScrapeSource, state: number, startedAtMs: number): Promise<string> {
  const { node } = source;
  const image = node.image;
  const metrics = metricsOf(node);
  metrics.forgetDeletedTopics((topic) => image.topics[topic] !== undefined);
  const out = new Exposition();
  out
    .family(
      "kafka_server_kafkaserver_brokerstate",
      "gauge",
      "Kafka's BrokerState: 1 starting, 3 running, 7 shutting down.",
    )
    .sample([], state);

  metrics.requests.write(out);
  metrics.requestTime.write(out);
  for (const family of metrics.topicFamilies()) family.write(out);
  metrics.isrShrinks.write(out);
  metrics.isrExpands.write(out);
  writeFetchSessionMetrics(out, node);

  // Partition counts from the committed metadata; offline and global counts are the controller's.
  const nodeId = node.config.nodeId;
  let partitionCount = 0;
  let leaderCount = 0;
  let underReplicated = 0;
  let offline = 0;
  let globalPartitions = 0;
  for (const topic of Object.values(image.topics)) {
    for (const p of topic.partitions) {
      globalPartitions++;
      if (p.leader < 0) offline++;
      if (p.replicas.includes(nodeId)) partitionCount++;
      if (p.leader === nodeId) {
        leaderCount++;
        if (p.isr.length < p.replicas.length) underReplicated++;
      }
    }
  }
  const isController = node.controllerId === nodeId;
  out
    .family("kafka_server_replicamanager_partitioncount", "gauge", "Partitions with a replica on this node.")
    .sample([], partitionCount);
  out
    .family("kafka_server_replicamanager_leadercount", "gauge", "Partitions this node leads.")
    .sample([], leaderCount);
  out
    .family(
      "kafka_server_replicamanager_underreplicatedpartitions",
      "gauge",
      "Partitions this node leads whose ISR is smaller than their replica set.",
    )
    .sample([], underReplicated);
  out
    .family(
      "kafka_controller_kafkacontroller_activecontrollercount",
      "gauge",
      "1 on the node that is the active controller, else 0.",
    )
    .sample([], isController ? 1 : 0);
  // As in Kafka, only the active controller reports the cluster-wide counts; the others report 0.
  out
    .family(
      "kafka_controller_kafkacontroller_offlinepartitionscount",
      "gauge",
      "Partitions without a leader (reported by the active controller).",
    )
    .sample([], isController ? offline : 0);
  out
    .family(
      "kafka_controller_kafkacontroller_globaltopiccount",
      "gauge",
      "Topics in the cluster (active controller).",
    )
    .sample([], isController ? Object.keys(image.topics).length : 0);
  out
    .family(
      "kafka_controller_kafkacontroller_globalpartitioncount",
      "gauge",
      "Partitions in the cluster (active controller).",
    )
    .sample([], isController ? globalPartitions : 0);

  let droppedSeries = metrics.droppedSeriesCount;
  droppedSeries += writeLogGauges(out, node);
  droppedSeries += await writeGroupLag(out, node);

  out
    .family(
      "kafka_server_socket_server_metrics_connection_count",
      "gauge",
      "Open client connections on the Kafka listeners.",
    )
    .sample([], source.connectionCount());
  writeProcess(out, startedAtMs);
  out
    .family(
      "eddy_metrics_series_dropped_total",
      "counter",
      "Label sets left out because a family reached its limit (10,000 series).",
    )
    .sample([], droppedSeries);
  return out.text();
}

/** Per-partition log gauges of the replicas this node hosts; returns the series left out. */
function writeLogGauges(out: Exposition, node: BrokerNode): number {
  const rows: { labels: Labels; size: number; segments: number; start: number; end: number }[] = [];
  let dropped = 0;
  for (const topic of Object.values(node.image.topics)) {
    for (const p of topic.partitions) {
      const replica = node.partition(topic.name, p.partition);
      if (replica === undefined || replica.isOffline) continue;
      if (rows.length >= perPartitionSeriesMax) {
        dropped++;
        continue;
      }
      const info = replica.log.info();
      rows.push({
        labels: [
          ["topic", topic.name],
          ["partition", String(p.partition)],
        ],
        size: info.sizeBytes,
        segments: info.segmentCount,
        start: replica.logStartOffset,
        end: replica.logEndOffset,
      });
    }
  }
  const family = (name: string, help: string, pick: (r: (typeof rows)[number]) => number): void => {
    out.family(name, "gauge", help);
    for (const r of rows) out.sample(r.labels, pick(r));
  };
  family("kafka_log_log_size", "Bytes of a partition's log segments on this node.", (r) => r.size);
  family("kafka_log_log_numlogsegments", "Segments of a partition's log on this node.", (r) => r.segments);
  family("kafka_log_log_logstartoffset", "First offset of a partition's log on this node.", (r) => r.start);
  family(
    "kafka_log_log_logendoffset",
    "Offset after the last record of a partition's log on this node.",
    (r) => r.end,
  );
  return dropped;
}

/**
 * Consumer-group lag, as `eddy groups describe` reports it, for the groups this node coordinates;
 * returns the series left out. A committed partition this node does not host takes its high
 * watermark from its leader (`withLeaderLag`, one read for the whole scrape, the same the admin API
 * uses), so scraping a group's coordinator gives every partition of the group in a cluster too.
 */
async function writeGroupLag(out: Exposition, node: BrokerNode): Promise<number> {
  const lag: { labels: Labels; lag: number; offset: number }[] = [];
  const members: { labels: Labels; count: number }[] = [];
  let dropped = 0;
  let groups: Awaited<ReturnType<typeof listGroups>> = [];
  try {
    groups = await listGroups(node);
  } catch {
    // The coordinator is closing or rebuilding: this scrape has no group gauges, the next one will.
  }
  const views: GroupView[] = [];
  for (const summary of groups) {
    try {
      const view = await describeGroup(node, summary.groupId);
      if (view !== null) views.push(view);
    } catch {
      // This group's coordinator cannot answer now; the others are still written.
    }
  }
  for (const view of await withLeaderLag(node, views)) {
    members.push({ labels: [["group", view.groupId]], count: view.members.length });
    for (const o of view.offsets) {
      // Unknown: nothing committed, a deleted topic, or a leader that did not answer.
      if (o.committedOffset === null || o.lag === null) continue;
      if (lag.length >= perPartitionSeriesMax) {
        dropped++;
        continue;
      }
      lag.push({
        labels: [
          ["group", view.groupId],
          ["topic", o.topic],
          ["partition", String(o.partition)],
        ],
        lag: o.lag,
        offset: o.committedOffset,
      });
    }
  }
  out.family(
    "kafka_consumergroup_lag",
    "gauge",
    "High watermark minus the group's committed offset, per partition (as eddy groups describe).",
  );
  for (const l of lag) out.sample(l.labels, l.lag);
  out.family("kafka_consumergroup_current_offset", "gauge", "The group's committed offset, per partition.");
  for (const l of lag) out.sample(l.labels, l.offset);
  out.family("kafka_consumergroup_members", "gauge", "Members of each consumer group.");
  for (const m of members) out.sample(m.labels, m.count);
  return dropped;
}
