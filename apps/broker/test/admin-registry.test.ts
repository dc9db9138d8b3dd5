/**
 * The metrics registry and exposition on their own, read back by the same Prometheus parser as the
 * broker's `/metrics`: a family past its label-set limit drops new sets and counts them, label values
 * are escaped, histogram buckets are cumulative, a family written twice is refused, and ISR shrinks
 * and expands are counted from two committed images only for partitions this node leads.
 */
import { describe, expect, test } from "bun:test";
import type { controller } from "@eddy/core";
import { BrokerMetrics } from "../src/admin/broker-metrics.ts";
import { Exposition } from "../src/admin/exposition.ts";
import { CounterFamily, HistogramFamily } from "../src/admin/metrics-registry.ts";
import { histogramOf, parseExposition, sampleValue } from "./admin-harness.ts";

describe("metrics registry", () => {
  test("a family holds at most its limit of label sets; the rest are dropped and counted", () => {
    const family = new CounterFamily("t_total", "t", ["topic"], 3);
    for (let i = 0; i < 5; i++) family.inc([`topic-${i}`], i + 1);
    family.inc(["topic-0"], 10);
    expect(family.seriesCount).toBe(3);
    expect(family.droppedCount).toBe(2);
    const out = new Exposition();
    family.write(out);
    const families = parseExposition(out.text());
    expect(sampleValue(families, "t_total", { topic: "topic-0" })).toBe(11);
    expect(sampleValue(families, "t_total", { topic: "topic-2" })).toBe(3);
    expect(sampleValue(families, "t_total", { topic: "topic-3" })).toBeNull();
    family.forget((values) => values[0] === "topic-1");
    expect(family.seriesCount).toBe(2);
  });

  test("label values with quotes, backslashes and newlines survive the parser", () => {
    const family = new CounterFamily("q_total", "q", ["group"]);
    const odd = 'a "quoted" \\ name\nwith a newline';
    family.inc([odd], 2);
    const out = new Exposition();
    family.write(out);
    expect(sampleValue(parseExposition(out.text()), "q_total", { group: odd })).toBe(2);
  });

  test("histogram buckets are cumulative and end at +Inf with the count", () => {
    const family = new HistogramFamily("h_ms", "h", ["request"], [1, 10, 100]);
    const s = family.handle(["Produce"]);
    for (const v of [0.5, 1, 5, 50, 500, 5_000]) family.observe(s, v);
    const out = new Exposition();
    family.write(out);
    const h = histogramOf(out.text(), "h_ms", "request", "Produce")!;
    expect(Object.fromEntries(h.buckets)).toEqual({ "1": 2, "10": 3, "100": 4, "+Inf": 6 });
    expect(h.count).toBe(6);
    expect(h.sum).toBe(5556.5);
  });

  test("one scrape never writes a family twice or a sample before its family", () => {
    const out = new Exposition();
    expect(() => out.sample([], 1)).toThrow("a sample before any family");
    out.family("x", "gauge", "x").sample([], 1);
    expect(() => out.family("x", "gauge", "x")).toThrow("written twice");
    expect(() => out.family("bad-name", "gauge", "x")).toThrow("not a Prometheus metric name");
  });
});

describe("ISR shrinks and expands", () => {
  const image = (isr: number[], leader = 1, epoch = 1, topicId = "id-1"): controller.MetadataImage => ({
    offset: epoch,
    brokers: [],
    topics: {
      orders: {
        name: "orders",
        topicId,
        configs: {},
        partitions: [
          { partition: 0, replicas: [1, 2, 3], isr, leader, leaderEpoch: 1, partitionEpoch: epoch },
        ],
      },
    },
  });
  const counts = (m: BrokerMetrics) => {
    const out = new Exposition();
    m.isrShrinks.write(out);
    m.isrExpands.write(out);
    const families = parseExposition(out.text());
    return {
      shrinks: sampleValue(families, "kafka_server_replicamanager_isrshrinks_total") ?? 0,
      expands: sampleValue(families, "kafka_server_replicamanager_isrexpands_total") ?? 0,
    };
  };

  test("counted on the leader from committed images; a recreated topic or another leader counts nothing", () => {
    const m = new BrokerMetrics(1);
    m.imageChanged(image([1, 2], 1, 2), image([1, 2, 3], 1, 1));
    expect(counts(m)).toEqual({ shrinks: 1, expands: 0 });
    m.imageChanged(image([1, 2, 3], 1, 3), image([1, 2], 1, 2));
    expect(counts(m)).toEqual({ shrinks: 1, expands: 1 });
    // The same epoch is the same state: nothing changed.
    m.imageChanged(image([1, 2, 3], 1, 3), image([1, 2, 3], 1, 3));
    // Node 2 leads: node 1 does not count its ISR changes.
    m.imageChanged(image([2], 2, 5), image([2, 3], 2, 4));
    // A recreated topic (another id) starts afresh.
    m.imageChanged(image([1], 1, 1, "id-2"), image([1, 2, 3], 1, 9, "id-1"));
    expect(counts(m)).toEqual({ shrinks: 1, expands: 1 });
  });
});
