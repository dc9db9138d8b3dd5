/**
 * ineligibleReplicas, the one rule both bindings (the broker's runtime and the simulator) use to tell
 * a partition replica which replicas it may not propose for the ISR. Goal: it names exactly the
 * replicas the controller refuses (fenced or not registered), as the core's `isLive` judges them.
 * Method: examples, then a fast-check model test against the core's own predicate over random images.
 */
import { describe, expect, test } from "bun:test";
import { controller } from "@eddy/core";
import fc from "fast-check";
import { eligibilityReplicasMax, ineligibleReplicas } from "../src/index.ts";

describe("ineligibleReplicas", () => {
  test("a fenced replica and an unregistered one are ineligible, in replica order", () => {
    const brokers = [
      { brokerId: 0, fenced: false },
      { brokerId: 1, fenced: true },
      { brokerId: 2, fenced: false },
    ];
    expect(ineligibleReplicas(brokers, [2, 1, 0])).toEqual([1]);
    expect(ineligibleReplicas(brokers, [3, 0, 1])).toEqual([3, 1]);
    expect(ineligibleReplicas(brokers, [0, 2])).toEqual([]);
    expect(ineligibleReplicas([], [0])).toEqual([0]);
  });

  test("refuses a replica list past its bound", () => {
    const replicas = Array.from({ length: eligibilityReplicasMax + 1 }, (_, i) => i);
    expect(() => ineligibleReplicas([], replicas)).toThrow("too many replicas");
  });

  test("agrees with the core's isLive on any image (the controller refuses exactly these)", () => {
    const registration = fc.record({ brokerId: fc.integer({ min: 0, max: 7 }), fenced: fc.boolean() });
    fc.assert(
      fc.property(
        fc.uniqueArray(registration, { selector: (b) => b.brokerId, maxLength: 8 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 9 }), { maxLength: 6 }),
        (regs, replicas) => {
          const image: controller.MetadataImage = {
            ...controller.emptyImage,
            brokers: regs.map((r) => ({ ...r, brokerEpoch: 1, host: "h", port: 9092, rack: null })),
          };
          const model = replicas.filter((r) => !controller.isLive(image, r));
          expect(ineligibleReplicas(image.brokers, replicas)).toEqual(model);
        },
      ),
    );
  });
});
