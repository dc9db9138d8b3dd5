/**
 * The counters the request path moves, one set per node: requests and their latency per API,
 * messages and bytes in per topic (counted by Produce once appended), bytes out per topic (counted
 * from each Fetch response), and ISR shrinks and expands (counted from committed metadata). Names
 * follow what Kafka's JMX exporter makes of Kafka's MBeans, so dashboards written for Kafka read them.
 *
 * Owns the hooks the request path calls (`meterRequest`, `meterProduce`): each costs a WeakMap
 * lookup, a map lookup per topic and a few additions, and must never throw into a request, block,
 * or allocate per record. Gauges (log sizes, lag, under-replicated partitions) are not here: they
 * are read from the node when scraped (`scrape.ts`).
 */
import type { controller } from "@eddy/core";
import { ApiKey, ErrorCode } from "@eddy/protocol";
import type { BrokerNode } from "../node/broker-node.ts";
import { CounterFamily, HistogramFamily, type HistogramSeries, type Series } from "./metrics-registry.ts";

/** Where a v2 record batch keeps its record count (Kafka's RecordBatch layout). */
const batchRecordsCountAt = 57;
const batchHeaderBytes = 61;

export class BrokerMetrics {
  readonly requests = new CounterFamily(
    "kafka_network_requestmetrics_requests_total",
    "Requests answered, by API (Kafka's kafka.network:type=RequestMetrics,name=RequestsPerSec).",
    ["request"],
  );
  readonly requestTime = new HistogramFamily(
    "kafka_network_requestmetrics_totaltimems",
    "Time from a request's decoding to its encoded response, in milliseconds, by API (Kafka's TotalTimeMs; a Fetch's long poll included).",
    ["request"],
  );
  readonly messagesIn = new CounterFamily(
    "kafka_server_brokertopicmetrics_messagesin_total",
    "Records appended by Produce, by topic (Kafka's MessagesInPerSec).",
    ["topic"],
  );
  readonly bytesIn = new CounterFamily(
    "kafka_server_brokertopicmetrics_bytesin_total",
    "Record batch bytes appended by Produce, by topic (Kafka's BytesInPerSec).",
    ["topic"],
  );
  readonly bytesOut = new CounterFamily(
    "kafka_server_brokertopicmetrics_bytesout_total",
    "Record batch bytes sent in Fetch responses, by topic (Kafka's BytesOutPerSec).",
    ["topic"],
  );
  readonly produceRequests = new CounterFamily(
    "kafka_server_brokertopicmetrics_totalproducerequests_total",
    "Partitions named in Produce requests, by topic (Kafka's TotalProduceRequestsPerSec).",
    ["topic"],
  );
  readonly failedProduceRequests = new CounterFamily(
    "kafka_server_brokertopicmetrics_failedproducerequests_total",
    "Partitions of Produce requests answered with an error, by topic (Kafka's FailedProduceRequestsPerSec).",
    ["topic"],
  );
  readonly fetchRequests = new CounterFamily(
    "kafka_server_brokertopicmetrics_totalfetchrequests_total",
    "Partitions named in Fetch responses, by topic (Kafka's TotalFetchRequestsPerSec).",
    ["topic"],
  );
  readonly failedFetchRequests = new CounterFamily(
    "kafka_server_brokertopicmetrics_failedfetchrequests_total",
    "Partitions of Fetch responses answered with an error, by topic (Kafka's FailedFetchRequestsPerSec).",
    ["topic"],
  );
  readonly isrShrinks = new CounterFamily(
    "kafka_server_replicamanager_isrshrinks_total",
    "ISR shrinks of partitions this node leads (Kafka's IsrShrinksPerSec).",
    [],
  );
  readonly isrExpands = new CounterFamily(
    "kafka_server_replicamanager_isrexpands_total",
    "ISR expansions of partitions this node leads (Kafka's IsrExpandsPerSec).",
    [],
  );
  /** Cached handles by API key, so a request never joins label strings. */
  private readonly byApiKey: ({ count: Series; time: HistogramSeries } | undefined)[] = [];

  constructor(private readonly nodeId: number) {
    // Counters without labels are written from the start, at 0, so a rate over them is defined at once.
    this.isrShrinks.inc([], 0);
    this.isrExpands.inc([], 0);
  }

  requestDone(apiKey: number, apiName: string, startedMs: number): void {
    let handles = this.byApiKey[apiKey];
    if (handles === undefined) {
      handles = { count: this.requests.handle([apiName]), time: this.requestTime.handle([apiName]) };
      this.byApiKey[apiKey] = handles;
    }
    handles.count.value += 1;
    this.requestTime.observe(handles.time, performance.now() - startedMs);
  }

  /** A Fetch response's record bytes, by topic (responses of Fetch v4-v12 name their topics). */
  fetchAnswered(body: unknown): void {
    const responses = (body as { responses?: readonly FetchTopicResponse[] }).responses;
    if (responses === undefined) return;
    for (const topic of responses) {
      if (typeof topic.topic !== "string") continue;
      let bytes = 0;
      let failed = 0;
      for (const p of topic.partitions) {
        bytes += p.records?.byteLength ?? 0;
        if ((p.errorCode ?? 0) !== 0) failed++;
      }
      this.fetchRequests.inc([topic.topic], topic.partitions.length);
      if (failed > 0) this.failedFetchRequests.inc([topic.topic], failed);
      if (bytes > 0) this.bytesOut.inc([topic.topic], bytes);
    }
  }

  produced(topic: string, records: Uint8Array): void {
    let count = 0;
    if (records.byteLength >= batchHeaderBytes) {
      // Read in place: a DataView per produced batch was garbage at tens of thousands a second.
      const at = batchRecordsCountAt;
      count = (records[at]! << 24) | (records[at + 1]! << 16) | (records[at + 2]! << 8) | records[at + 3]!;
    }
    this.messagesIn.inc([topic], Math.max(0, count));
    this.bytesIn.inc([topic], records.byteLength);
  }

  /**
   * Counts ISR changes between two committed images, for partitions this node leads in the new one
   * (as Kafka's leader counts them); a recreated topic (another id) starts afresh and counts nothing.
   */
  imageChanged(image: controller.MetadataImage, previous: controller.MetadataImage): void {
    for (const topic of Object.values(image.topics)) {
      const before = previous.topics[topic.name];
      if (before === undefined || before.topicId !== topic.topicId) continue;
      for (const p of topic.partitions) {
        if (p.leader !== this.nodeId) continue;
        // Partitions are kept in index order, so the old state is found by position.
        const old = before.partitions[p.partition];
        if (old === undefined || old.partition !== p.partition || old.partitionEpoch === p.partitionEpoch)
          continue;
        if (old.isr.some((id) => !p.isr.includes(id))) this.isrShrinks.inc([]);
        if (p.isr.some((id) => !old.isr.includes(id))) this.isrExpands.inc([]);
      }
    }
  }

  /** Drops the per-topic series of topics that no longer exist, as Kafka removes their MBeans. */
  forgetDeletedTopics(exists: (topic: string) => boolean): void {
    const gone = (values: readonly string[]) => !exists(values[0]!);
    for (const family of this.topicFamilies()) family.forget(gone);
  }

  /** The families labelled by topic, in the order a scrape writes them. */
  topicFamilies(): CounterFamily[] {
    return [
      this.messagesIn,
      this.bytesIn,
      this.bytesOut,
      this.produceRequests,
      this.failedProduceRequests,
      this.fetchRequests,
      this.failedFetchRequests,
    ];
  }

  /** Label sets refused by the per-family limit, over every family. */
  get droppedSeriesCount(): number {
    let dropped = this.requests.droppedCount + this.requestTime.droppedCount;
    for (const family of this.topicFamilies()) dropped += family.droppedCount;
    return dropped;
  }
}

interface FetchTopicResponse {
  readonly topic?: string;
  readonly partitions: readonly { readonly records?: Uint8Array | null; readonly errorCode?: number }[];
}

const byNode = new WeakMap<BrokerNode, BrokerMetrics>();

/** The node's metrics, made (and subscribed to its committed metadata) on first use. */
export function metricsOf(node: BrokerNode): BrokerMetrics {
  let metrics = byNode.get(node);
  if (metrics === undefined) {
    const made = new BrokerMetrics(node.config.nodeId);
    node.metadata.onImage((image, previous) => made.imageChanged(image, previous));
    byNode.set(node, made);
    metrics = made;
  }
  return metrics;
}

/**
 * The request handler's one call per answered request: its count and latency, and a Fetch
 * response's bytes by topic. A fault here is logged by nobody and never fails the request.
 */
export function meterRequest(
  node: BrokerNode,
  apiKey: number,
  apiName: string,
  startedMs: number,
  body: unknown,
): void {
  try {
    const metrics = metricsOf(node);
    metrics.requestDone(apiKey, apiName, startedMs);
    if (apiKey === ApiKey.Fetch && body !== null) metrics.fetchAnswered(body);
  } catch {
    // Metrics must never cost a client its answer.
  }
}

/**
 * Produce's call per partition: every partition counts as a produce request, a refused one as a
 * failed one, and only an appended batch (not a duplicate) counts its records and bytes.
 */
export function meterProduce(
  node: BrokerNode,
  topic: string,
  records: Uint8Array | null,
  outcome: { readonly errorCode: number; readonly duplicate?: boolean },
): void {
  try {
    const metrics = metricsOf(node);
    metrics.produceRequests.inc([topic]);
    if (outcome.errorCode !== ErrorCode.NONE) metrics.failedProduceRequests.inc([topic]);
    else if (outcome.duplicate !== true && records !== null) metrics.produced(topic, records);
  } catch {
    // Metrics must never cost a client its answer.
  }
}
