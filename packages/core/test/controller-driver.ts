/**
 * A minimal shell for one active controller whose every proposed batch commits at once (a one-voter
 * quorum with instant persistence), for unit and model tests. It also keeps the cross-record checks
 * the tests pin: two leaders never share a (partition, leader epoch), and epochs only grow.
 */
import * as controller from "../src/controller/index.ts";
import { invariant } from "../src/invariant.ts";
import { prngFromSeed } from "../src/prng.ts";

export class Driver {
  state: controller.ControllerState;
  offset = 0;
  readonly batches: (readonly controller.MetadataRecord[])[] = [];
  /** "topicId/partition/leaderEpoch" -> leader (a re-created topic starts its epochs again). */
  readonly leaderOfEpoch = new Map<string, number>();

  constructor(config: Partial<controller.ControllerConfig> = {}, seed = 1) {
    this.state = controller.initialState({ prng: prngFromSeed(seed), config });
    this.state = controller.step(this.state, { type: "activate", nowMs: 0 }).state;
  }

  get image(): controller.MetadataImage {
    return this.state.image;
  }

  send(input: controller.Input): controller.Ready {
    const { state, ready } = controller.step(this.state, input);
    this.state = state;
    if (ready.records.length > 0) {
      this.offset++;
      this.state = controller.step(this.state, {
        type: "committed",
        offset: this.offset,
        records: ready.records,
      }).state;
      this.batches.push(ready.records);
      invariant(this.state.latest === this.state.image, "driver: latest differs from the committed image");
      for (const r of ready.records) {
        if (r.type !== "PartitionChange" || r.leader === controller.noLeader) continue;
        const key = `${r.topicId}/${r.partition}/${r.leaderEpoch}`;
        const other = this.leaderOfEpoch.get(key);
        invariant(
          other === undefined || other === r.leader,
          () => `two leaders share epoch ${key}: ${other}, ${r.leader}`,
        );
        this.leaderOfEpoch.set(key, r.leader);
      }
      for (const r of ready.records) {
        if (r.type !== "CreateTopic" && r.type !== "CreatePartitions") continue;
        for (const p of r.partitions)
          this.leaderOfEpoch.set(`${r.topicId}/${p.partition}/${p.leaderEpoch}`, p.leader);
      }
    }
    return ready;
  }

  register(brokerId: number, nowMs: number): number {
    const ready = this.send({
      type: "registerBroker",
      nowMs,
      brokerId,
      host: `broker${brokerId}`,
      port: 9092,
      rack: null,
    });
    invariant(
      ready.response?.type === "registerBroker" && ready.response.error === "NONE",
      "driver: register failed",
    );
    return ready.response.brokerEpoch;
  }

  heartbeat(brokerId: number, nowMs: number, wantFence = false): controller.Response | null {
    const broker = controller.findBroker(this.state.latest, brokerId);
    invariant(broker !== undefined, "driver: heartbeat from an unknown broker");
    return this.send({ type: "brokerHeartbeat", nowMs, brokerId, brokerEpoch: broker.brokerEpoch, wantFence })
      .response;
  }

  partition(topic: string, p: number): controller.PartitionState {
    const state = this.image.topics[topic]?.partitions[p];
    invariant(state !== undefined, `driver: no partition ${topic}-${p}`);
    return state;
  }
}
