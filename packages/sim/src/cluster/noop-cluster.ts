/**
 * A baseline cluster of no-op nodes with the same shape as the Kafka model (3 brokers, 3 controllers,
 * clients) that only exchange heartbeats. It measures the bare cost of the event loop, network and
 * trace, beside which the benchmark reports the real cluster's speed; it checks nothing.
 */
import type { ClusterModel, LivenessGap } from "../run.ts";
import type { SimNode } from "../simulator.ts";
import type { World } from "./world.ts";

class NoopNode implements SimNode {
  index = -1;
  constructor(
    private readonly w: World,
    readonly name: string,
    readonly server: boolean,
    private readonly peers: () => number[],
  ) {}
  onMessage(): void {}
  onTimer(): void {
    for (const p of this.peers()) if (p !== this.index) this.w.sim.send(this.index, p, null, "ping");
    this.w.sim.timer(this.index, 100, 0);
  }
  onCrash(): void {}
  onRestart(): void {
    this.w.sim.timer(this.index, 100, 0);
  }
}

export function noopCluster(w: World): ClusterModel {
  const brokerNames = ["b0", "b1", "b2"];
  const controllerNames = ["c0", "c1", "c2"];
  const servers = () => [...w.brokers, ...w.controllers];
  const nodes: SimNode[] = [
    ...brokerNames.map((n) => new NoopNode(w, n, true, servers)),
    ...controllerNames.map((n) => new NoopNode(w, n, true, servers)),
    ...["p0", "p1", "p2", "k0", "k1"].map((n) => new NoopNode(w, n, false, () => w.brokers)),
  ];
  return {
    nodes,
    brokerNames,
    controllerNames,
    start() {
      w.brokers = [0, 1, 2];
      w.controllers = [3, 4, 5];
      for (const n of nodes) w.sim.timer(n.index, 1, 0);
    },
    livenessGaps(): LivenessGap[] {
      return [];
    },
    finalLogs() {
      return new Map();
    },
  };
}
