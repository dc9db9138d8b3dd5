/**
 * Controllers on a three-node quorum under random controller crashes and restarts, broker stops and
 * returns, topic creations, ISR changes and the passing of time (fast-check). The harness checks after
 * every committed batch that all controllers apply the same batch at each offset (metadata safety)
 * and that no two leaders share a (partition, leader epoch) across controller failovers. After the
 * schedule every controller restarts and time passes: an active controller must emerge, every
 * controller must hold the same image, and every partition with a live ISR member must have a leader.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import * as controller from "../src/controller/index.ts";
import { ControllerCluster } from "./controller-cluster.ts";

const opArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant("advance" as const), ms: fc.constantFrom(100, 500, 2000, 5000) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("crashController" as const), c: fc.integer({ min: 1, max: 3 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("restartController" as const),
      c: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("stopBroker" as const), b: fc.integer({ min: 1, max: 4 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("startBroker" as const), b: fc.integer({ min: 1, max: 4 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("createTopic" as const),
      name: fc.constantFrom("a", "b", "c"),
      partitions: fc.integer({ min: 1, max: 3 }),
      rf: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("shrinkIsr" as const),
      name: fc.constantFrom("a", "b", "c"),
      p: fc.nat(2),
    }),
  },
);

test("controllers on a quorum: same batches everywhere, unshared leader epochs, recovery after failures", () => {
  fc.assert(
    fc.property(
      fc.nat(),
      fc.boolean(),
      fc.array(opArb, { minLength: 5, maxLength: 40 }),
      (seed, compact, ops) => {
        const c = new ControllerCluster([1, 2, 3], seed, {}, compact ? 5 : 0);
        c.campaign(1);
        for (const b of [1, 2, 3, 4]) c.register(b);
        for (const b of [1, 2, 3, 4]) c.heartbeat(b);
        for (const o of ops) {
          switch (o.op) {
            case "advance":
              c.advance(o.ms);
              break;
            case "crashController":
              if (c.node(o.c).up && [...c.nodes.values()].filter((n) => n.up).length > 2)
                c.crashController(o.c);
              break;
            case "restartController":
              if (!c.node(o.c).up) c.restartController(o.c);
              break;
            case "stopBroker":
              if (c.brokers.get(o.b)?.alive) c.stopBroker(o.b);
              break;
            case "startBroker":
              if (c.brokers.get(o.b)?.alive === false) {
                c.register(o.b);
                if (c.brokers.get(o.b)?.alive) c.heartbeat(o.b);
              }
              break;
            case "createTopic":
              c.request(
                {
                  type: "createTopics",
                  topics: [{ name: o.name, partitions: o.partitions, replicationFactor: o.rf }],
                },
                () => {},
              );
              break;
            case "shrinkIsr": {
              const active = c.active();
              const p = active?.ctl.image.topics[o.name]?.partitions[o.p];
              if (p === undefined || p.leader === controller.noLeader || p.isr.length < 2) break;
              c.alterIsr(o.name, o.p, [p.leader]);
              break;
            }
          }
          c.take();
        }
        // Liveness: every controller back, brokers that are alive keep heartbeating, time passes.
        for (const id of [1, 2, 3]) if (!c.node(id).up) c.restartController(id);
        c.advance(5000);
        const active = c.active();
        expect(active).not.toBeNull();
        // Followers learn the newest commit a heartbeat later; batches may still commit meanwhile.
        for (let k = 0; k < 20 && !c.imagesAgree(); k++) c.advance(100);
        expect(c.imagesAgree()).toBe(true);
        const image = active!.ctl.image;
        for (const topic of Object.values(image.topics)) {
          for (const p of topic.partitions) {
            const liveIsr = p.isr.some((r) => controller.isLive(image, r));
            if (liveIsr) expect(p.leader).not.toBe(controller.noLeader);
            if (p.leader !== controller.noLeader) expect(controller.isLive(image, p.leader)).toBe(true);
          }
        }
        c.take();
      },
    ),
    { numRuns: Number(process.env.CONTROLLER_QUORUM_RUNS ?? 60) },
  );
});
