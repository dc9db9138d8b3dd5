/**
 * Changing a topic's configs through the metadata controller (IncrementalAlterConfigs and
 * AlterConfigs, committed as Kafka's ConfigRecord). Goal: a committed change is in every image built
 * from the log, a refused or validate-only one changes nothing, and an image that never saw a change
 * keeps exactly the shape it had (stored snapshots and the simulator's hashes depend on it). Method:
 * unit tests pin the answers and records; a fast-check model applies random changes to a plain map
 * and compares it with the committed image and with an image rebuilt from the committed batches.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import * as controller from "../src/controller/index.ts";
import { prngFromSeed } from "../src/prng.ts";
import { Driver } from "./controller-driver.ts";

function withTopic(configs: Record<string, string> = {}): Driver {
  const d = new Driver();
  d.register(1, 0);
  d.heartbeat(1, 0);
  const created = d.send({
    type: "createTopics",
    topics: [{ name: "t", partitions: 2, replicationFactor: 1, configs }],
  });
  expect(created.response).toMatchObject({ topics: [{ name: "t", error: "NONE" }] });
  return d;
}

function alter(d: Driver, topics: controller.TopicConfigChange[], validateOnly = false): controller.Ready {
  return d.send({ type: "alterTopicConfigs", topics, validateOnly });
}

describe("controller: topic configs", () => {
  test("sets and removes keys with one Config record per changed key, partitions untouched", () => {
    const d = withTopic({ "retention.ms": "5000", "cleanup.policy": "delete" });
    const partitionsBefore = d.image.topics.t!.partitions;
    const ready = alter(d, [
      {
        name: "t",
        set: { "retention.ms": "1000", "segment.bytes": "1024", "cleanup.policy": "delete" },
        delete: ["cleanup.policy2", "cleanup.policy"],
      },
    ]);
    // cleanup.policy is both kept by set (same value) and deleted: refused, nothing recorded.
    expect(ready.response).toEqual({
      type: "alterTopicConfigs",
      topics: [{ name: "t", error: "INVALID_REQUEST", message: "config cleanup.policy named twice" }],
    });
    expect(ready.records).toEqual([]);
    const ok = alter(d, [
      {
        name: "t",
        set: { "retention.ms": "1000", "segment.bytes": "1024" },
        delete: ["cleanup.policy", "x"],
      },
    ]);
    expect(ok.response).toEqual({
      type: "alterTopicConfigs",
      topics: [{ name: "t", error: "NONE", message: null }],
    });
    expect(ok.records).toEqual([
      { type: "Config", resourceType: "topic", resourceName: "t", name: "retention.ms", value: "1000" },
      { type: "Config", resourceType: "topic", resourceName: "t", name: "segment.bytes", value: "1024" },
      { type: "Config", resourceType: "topic", resourceName: "t", name: "cleanup.policy", value: null },
    ]);
    expect(d.image.topics.t!.configs).toEqual({ "retention.ms": "1000", "segment.bytes": "1024" });
    expect(d.image.topics.t!.partitions).toEqual(partitionsBefore);
  });

  test("a change to the values a topic already has records nothing and answers NONE", () => {
    const d = withTopic({ "retention.ms": "5000" });
    const offset = d.image.offset;
    const ready = alter(d, [{ name: "t", set: { "retention.ms": "5000" }, delete: ["segment.ms"] }]);
    expect(ready.response).toMatchObject({ topics: [{ error: "NONE" }] });
    expect(ready.records).toEqual([]);
    expect(d.image.offset).toBe(offset);
  });

  test("validateOnly answers as a real change and records nothing", () => {
    const d = withTopic();
    const ok = alter(d, [{ name: "t", set: { "retention.ms": "1" }, delete: [] }], true);
    expect(ok).toEqual({
      records: [],
      response: { type: "alterTopicConfigs", topics: [{ name: "t", error: "NONE", message: null }] },
    });
    const bad = alter(d, [{ name: "nope", set: { "retention.ms": "1" }, delete: [] }], true);
    expect(bad.response).toMatchObject({ topics: [{ error: "UNKNOWN_TOPIC_OR_PARTITION" }] });
    expect(d.image.topics.t!.configs).toEqual({});
  });

  test("refuses unknown topics, a topic named twice, a bad unclean flag and too many configs", () => {
    const d = withTopic();
    const ready = alter(d, [
      { name: "nope", set: { a: "1" }, delete: [] },
      { name: "t", set: { "unclean.leader.election.enable": "maybe" }, delete: [] },
    ]);
    expect(ready.response).toMatchObject({
      topics: [
        { name: "nope", error: "UNKNOWN_TOPIC_OR_PARTITION" },
        { name: "t", error: "INVALID_CONFIG" },
      ],
    });
    const twice = alter(d, [
      { name: "t", set: { a: "1" }, delete: [] },
      { name: "t", set: { b: "1" }, delete: [] },
    ]);
    expect(twice.response).toMatchObject({
      topics: [
        { name: "t", error: "INVALID_REQUEST" },
        { name: "t", error: "INVALID_REQUEST" },
      ],
    });
    const many: Record<string, string> = {};
    for (let k = 0; k <= controller.topicConfigsMax; k++) many[`k${k}`] = "v";
    const tooMany = alter(d, [{ name: "t", set: many, delete: [] }]);
    expect(tooMany.response).toMatchObject({ topics: [{ error: "INVALID_CONFIG" }] });
    expect(d.image.topics.t!.configs).toEqual({});
  });

  test("a standby answers NOT_CONTROLLER and proposes nothing", () => {
    const state = controller.initialState({ prng: prngFromSeed(5) });
    const { ready } = controller.step(state, {
      type: "alterTopicConfigs",
      topics: [{ name: "t", set: { "retention.ms": "1" }, delete: [] }],
      validateOnly: false,
    });
    expect(ready).toEqual({
      records: [],
      response: {
        type: "alterTopicConfigs",
        topics: [{ name: "t", error: "NOT_CONTROLLER", message: null }],
      },
    });
  });

  test("an image that never saw a config change keeps its keys; a Config of an unknown topic is a bug", () => {
    const d = withTopic();
    expect(Object.keys(d.image).sort()).toEqual(["brokers", "offset", "topics"]);
    expect(() =>
      controller.applyRecord(d.image, {
        type: "Config",
        resourceType: "topic",
        resourceName: "gone",
        name: "retention.ms",
        value: "1",
      }),
    ).toThrow("config of unknown topic gone");
  });

  test("model: the committed configs equal a plain map's, and replaying the batches gives the same image", () => {
    const keys = ["retention.ms", "segment.bytes", "cleanup.policy", "max.message.bytes"];
    const change = fc.record({
      set: fc.dictionary(fc.constantFrom(...keys), fc.constantFrom("1", "2", "delete")),
      delete: fc.uniqueArray(fc.constantFrom(...keys), { maxLength: 4 }),
      validateOnly: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(change, { maxLength: 20 }), (changes) => {
        const d = withTopic();
        const model: Record<string, string> = {};
        for (const c of changes) {
          const overlap = c.delete.some((k) => Object.hasOwn(c.set, k));
          const ready = alter(d, [{ name: "t", set: c.set, delete: c.delete }], c.validateOnly);
          const error = ready.response?.type === "alterTopicConfigs" ? ready.response.topics[0]?.error : null;
          expect(error).toBe(overlap ? "INVALID_REQUEST" : "NONE");
          if (overlap || c.validateOnly) continue;
          Object.assign(model, c.set);
          for (const k of c.delete) delete model[k];
        }
        expect(d.image.topics.t!.configs).toEqual(model);
        let replayed = controller.emptyImage;
        d.batches.forEach((batch, i) => {
          replayed = controller.applyBatch(replayed, i + 1, batch);
        });
        expect(replayed).toEqual(d.image);
      }),
      { numRuns: 200, seed: 16 },
    );
  });
});
