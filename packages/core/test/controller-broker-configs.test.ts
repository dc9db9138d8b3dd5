/**
 * Dynamic broker configs through the metadata controller (IncrementalAlterConfigs and AlterConfigs
 * on a BROKER resource, committed as Kafka's ConfigRecord with resource type broker). Goal: a
 * committed change is in the image under its resource (a broker id, or "" for the cluster-wide
 * default) and in an image rebuilt from the log; a refused or validate-only one changes nothing; and
 * the image's `brokerConfigs` field is absent whenever no resource holds a key, so images that never
 * saw one (stored snapshots, the simulator's hashes) keep their shape. Method: unit tests pin answers
 * and records; a fast-check model applies random changes to a plain map and compares.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import * as controller from "../src/controller/index.ts";
import { prngFromSeed } from "../src/prng.ts";
import { Driver } from "./controller-driver.ts";

function cluster(): Driver {
  const d = new Driver();
  d.register(1, 0);
  d.heartbeat(1, 0);
  return d;
}

function alter(d: Driver, resources: controller.TopicConfigChange[], validateOnly = false): controller.Ready {
  return d.send({ type: "alterBrokerConfigs", resources, validateOnly });
}

describe("controller: broker configs", () => {
  test("sets and removes keys per resource with one record per changed key; the field goes once empty", () => {
    const d = cluster();
    expect(d.image.brokerConfigs).toBeUndefined();
    const set = alter(d, [
      { name: "", set: { "log.retention.ms": "1000" }, delete: [] },
      { name: "1", set: { "log.retention.ms": "2000", "min.insync.replicas": "2" }, delete: ["absent"] },
    ]);
    expect(set.response).toEqual({
      type: "alterBrokerConfigs",
      resources: [
        { name: "", error: "NONE", message: null },
        { name: "1", error: "NONE", message: null },
      ],
    });
    expect(set.records).toEqual([
      { type: "Config", resourceType: "broker", resourceName: "", name: "log.retention.ms", value: "1000" },
      { type: "Config", resourceType: "broker", resourceName: "1", name: "log.retention.ms", value: "2000" },
      { type: "Config", resourceType: "broker", resourceName: "1", name: "min.insync.replicas", value: "2" },
    ]);
    expect(d.image.brokerConfigs).toEqual({
      "": { "log.retention.ms": "1000" },
      "1": { "log.retention.ms": "2000", "min.insync.replicas": "2" },
    });
    // An unchanged value records nothing.
    expect(alter(d, [{ name: "", set: { "log.retention.ms": "1000" }, delete: [] }]).records).toEqual([]);
    alter(d, [
      { name: "", set: {}, delete: ["log.retention.ms"] },
      { name: "1", set: {}, delete: ["log.retention.ms", "min.insync.replicas"] },
    ]);
    expect(d.image.brokerConfigs).toBeUndefined();
    expect("brokerConfigs" in d.image).toBe(false);
  });

  test("refusals and validateOnly change nothing", () => {
    const d = cluster();
    const refused = alter(d, [
      { name: "x", set: { a: "1" }, delete: [] },
      { name: "01", set: { a: "1" }, delete: [] },
      { name: "2", set: { a: "1" }, delete: ["a"] },
      { name: "3", set: { "": "1" }, delete: [] },
    ]);
    expect(refused.response).toMatchObject({
      resources: [
        { name: "x", error: "INVALID_REQUEST" },
        { name: "01", error: "INVALID_REQUEST" },
        { name: "2", error: "INVALID_REQUEST", message: "config a named twice" },
        { name: "3", error: "INVALID_CONFIG" },
      ],
    });
    expect(refused.records).toEqual([]);
    const twice = alter(d, [
      { name: "", set: { a: "1" }, delete: [] },
      { name: "", set: { b: "1" }, delete: [] },
    ]);
    expect(twice.response).toMatchObject({
      resources: [{ error: "INVALID_REQUEST" }, { error: "INVALID_REQUEST" }],
    });
    const tooMany = Object.fromEntries(
      Array.from({ length: controller.brokerConfigsPerResourceMax + 1 }, (_, i) => [`k${i}`, "v"]),
    );
    expect(alter(d, [{ name: "", set: tooMany, delete: [] }]).response).toMatchObject({
      resources: [{ error: "INVALID_CONFIG" }],
    });
    const dry = alter(d, [{ name: "", set: { a: "1" }, delete: [] }], true);
    expect(dry.response).toMatchObject({ resources: [{ name: "", error: "NONE" }] });
    expect(dry.records).toEqual([]);
    expect(d.image.brokerConfigs).toBeUndefined();
  });

  test("a standby answers NOT_CONTROLLER", () => {
    const result = controller.step(controller.initialState({ prng: prngFromSeed(5) }), {
      type: "alterBrokerConfigs",
      resources: [{ name: "", set: { a: "1" }, delete: [] }],
      validateOnly: false,
    });
    expect(result.ready.response).toEqual({
      type: "alterBrokerConfigs",
      resources: [{ name: "", error: "NOT_CONTROLLER", message: null }],
    });
    expect(result.ready.records).toEqual([]);
  });

  test("model: random changes leave the image equal to a plain map, rebuilt from the records too", () => {
    const key = fc.constantFrom("a", "b", "c");
    const resource = fc.constantFrom("", "1", "2");
    const change = fc.record({
      name: resource,
      set: fc.dictionary(key, fc.constantFrom("1", "2"), { maxKeys: 2 }),
      delete: fc.uniqueArray(key, { maxLength: 2 }),
    });
    fc.assert(
      fc.property(fc.array(change, { maxLength: 12 }), (changes) => {
        const d = cluster();
        const model = new Map<string, Map<string, string>>();
        const records: controller.MetadataRecord[] = [];
        for (const c of changes) {
          const ready = alter(d, [c]);
          records.push(...ready.records);
          const ok =
            ready.response?.type === "alterBrokerConfigs" && ready.response.resources[0]!.error === "NONE";
          const overlap = Object.keys(c.set).some((k) => (c.delete as readonly string[]).includes(k));
          expect(ok).toBe(!overlap);
          if (!ok) continue;
          const m = model.get(c.name) ?? new Map<string, string>();
          for (const [k, v] of Object.entries(c.set)) m.set(k, v);
          for (const k of c.delete) m.delete(k);
          if (m.size === 0) model.delete(c.name);
          else model.set(c.name, m);
        }
        const expected =
          model.size === 0
            ? undefined
            : Object.fromEntries([...model].map(([name, m]) => [name, Object.fromEntries(m)]));
        expect(d.image.brokerConfigs).toEqual(expected);
        let rebuilt: controller.MetadataImage = controller.emptyImage;
        for (const r of records) rebuilt = controller.applyRecord(rebuilt, r);
        expect(rebuilt.brokerConfigs).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
