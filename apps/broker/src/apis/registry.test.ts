/**
 * The served ranges cover what the four studied clients send (docs/client-compat.md §1.7), stay
 * inside what the generated codec can decode, and avoid the markers that would make kafka-python
 * infer a broker newer than we are (DescribeAcls v2: the ACL APIs stop at v1).
 */
import { describe, expect, test } from "bun:test";
import { apiByKey as codecByKey } from "@eddy/protocol";
import { apiByKey, apiRegistry } from "./registry.ts";

/** [key, name, min, max] from client-compat.md §1.7, the minimum set that lets all four clients work. */
const required: readonly (readonly [number, string, number, number])[] = [
  [0, "Produce", 3, 8],
  [1, "Fetch", 4, 11],
  [2, "ListOffsets", 1, 5],
  [3, "Metadata", 0, 8],
  [8, "OffsetCommit", 0, 7],
  [9, "OffsetFetch", 1, 5],
  [10, "FindCoordinator", 0, 2],
  [11, "JoinGroup", 0, 5],
  [12, "Heartbeat", 0, 3],
  [13, "LeaveGroup", 0, 3],
  [14, "SyncGroup", 0, 3],
  [15, "DescribeGroups", 0, 4],
  [16, "ListGroups", 0, 2],
  [18, "ApiVersions", 0, 3],
  [19, "CreateTopics", 0, 4],
  [20, "DeleteTopics", 0, 3],
  [22, "InitProducerId", 0, 1],
  [29, "DescribeAcls", 0, 1],
  [30, "CreateAcls", 0, 1],
  [31, "DeleteAcls", 0, 1],
  [32, "DescribeConfigs", 0, 3],
];

describe("the API registry", () => {
  for (const [key, name, min, max] of required) {
    test(`${name} serves at least v${min}-v${max}`, () => {
      const api = apiByKey.get(key);
      expect(api?.name).toBe(name);
      expect(api!.versionMin).toBeLessThanOrEqual(min);
      expect(api!.versionMax).toBeGreaterThanOrEqual(max);
    });
  }

  test("Produce never goes below v3: older versions carry legacy message sets", () => {
    expect(apiByKey.get(0)!.versionMin).toBe(3);
  });

  test("every served range is one the generated codec decodes", () => {
    for (const api of apiRegistry) {
      const codec = codecByKey(api.key);
      expect(codec).toBeDefined();
      expect(api.versionMin).toBeGreaterThanOrEqual(codec!.minVersion);
      expect(api.versionMax).toBeLessThanOrEqual(codec!.maxVersion);
    }
  });

  test("keys are unique and sorted, and DescribeAcls stops below v2", () => {
    const keys = apiRegistry.map((a) => a.key);
    expect(keys).toEqual([...new Set(keys)].sort((a, b) => a - b));
    // kafka-python infers Kafka 2.5 from an advertised DescribeAcls v2 (client-compat.md §1.7).
    expect(apiByKey.get(29)?.versionMax).toBe(1);
  });
});
