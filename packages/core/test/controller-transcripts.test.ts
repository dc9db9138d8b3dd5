/**
 * Scenario transcripts for the metadata controller running on a three-node controller quorum
 * (testdata/controller/*.txt). Each command prints the batches it committed, the answers brokers
 * received, and controller role changes. Commands:
 *   controllers n=N [seed=S] [compact=K] [unclean]   a fresh quorum of controllers 1..N (no brokers
 *                                            yet), each snapshotting its image every K applied entries
 *   elect-controller N                       controller N campaigns; the quorum settles
 *   register B.. | heartbeat B [fence]       scripted broker requests
 *   stop B                                   broker B stops heartbeating (crash)
 *   create-topic NAME partitions=P rf=R [unclean=true|false]
 *   alter-isr TOPIC P isr=A,B,..             the partition's leader asks for a new ISR
 *   elect TOPIC P preferred|unclean          ElectLeaders
 *   advance ms=M                             logical time: Raft ticks, heartbeats, session expiry
 *   crash-controller N | restart-controller N
 *   partitions TOPIC | brokers | check       the committed image; agreement across controllers
 * Rewrite the expected outputs with `UPDATE_TRANSCRIPTS=1 bun test`.
 */
import { ControllerCluster, describePartition, describeResponse } from "./controller-cluster.ts";
import { int, type TranscriptCase, transcriptTests } from "./transcript.ts";

function handler(): (c: TranscriptCase) => string {
  let cluster: ControllerCluster | null = null;
  const need = (): ControllerCluster => {
    if (cluster === null) throw new Error("no controllers yet: start with `controllers`");
    return cluster;
  };
  const image = () => {
    const active = need().active();
    const n = active ?? [...need().nodes.values()].find((x) => x.up);
    if (n === undefined) throw new Error("no live controller");
    return n.ctl.image;
  };
  return (c) => {
    switch (c.command) {
      case "controllers": {
        const n = int(c.kv.n, 3);
        cluster = new ControllerCluster(
          Array.from({ length: n }, (_, k) => k + 1),
          int(c.kv.seed, 1),
          { uncleanLeaderElectionEnable: c.args.includes("unclean") },
          int(c.kv.compact, 0),
        );
        return "ok";
      }
      case "elect-controller":
        need().campaign(int(c.args[0], 1));
        break;
      case "register":
        for (const b of c.args) need().register(int(b, 0));
        break;
      case "heartbeat":
        need().heartbeat(int(c.args[0], 0), c.args.includes("fence"));
        break;
      case "stop":
        need().stopBroker(int(c.args[0], 0));
        break;
      case "create-topic": {
        const name = c.args[0] ?? "t";
        const configs: Record<string, string> = {};
        if (c.kv.unclean !== undefined) configs["unclean.leader.election.enable"] = c.kv.unclean;
        need().request(
          {
            type: "createTopics",
            topics: [
              { name, partitions: int(c.kv.partitions, 1), replicationFactor: int(c.kv.rf, 1), configs },
            ],
          },
          (r) => need().lines.push(`create-topic: ${r === null ? "NOT_CONTROLLER" : describeResponse(r)}`),
        );
        break;
      }
      case "alter-isr":
        need().alterIsr(
          c.args[0] ?? "t",
          int(c.args[1], 0),
          (c.kv.isr ?? "").split(",").map((x) => int(x, 0)),
        );
        break;
      case "elect": {
        const electionType = c.args[2] === "unclean" ? "unclean" : "preferred";
        need().request(
          {
            type: "electLeaders",
            electionType,
            partitions: [{ topic: c.args[0] ?? "t", partition: int(c.args[1], 0) }],
          },
          (r) =>
            need().lines.push(
              `elect ${electionType}: ${r === null ? "NOT_CONTROLLER" : describeResponse(r)}`,
            ),
        );
        break;
      }
      case "advance":
        need().advance(int(c.kv.ms, 100));
        break;
      case "crash-controller":
        need().crashController(int(c.args[0], 0));
        break;
      case "restart-controller":
        need().restartController(int(c.args[0], 0));
        break;
      case "partitions": {
        const topic = image().topics[c.args[0] ?? "t"];
        if (topic === undefined) return "no such topic";
        for (const p of topic.partitions)
          need().lines.push(`${topic.name}-${p.partition} ${describePartition(p)}`);
        break;
      }
      case "brokers":
        for (const b of image().brokers) {
          need().lines.push(`b${b.brokerId} epoch=${b.brokerEpoch} ${b.fenced ? "fenced" : "unfenced"}`);
        }
        break;
      case "check": {
        const active = need().active();
        need().lines.push(
          `active controller: ${active === null ? "none" : `c${active.id}`}; images agree: ${need().imagesAgree()}; ` +
            `offsets: ${[...need().nodes.values()].map((n) => (n.up ? `c${n.id}@${n.ctl.image.offset}` : `c${n.id} down`)).join(" ")}`,
        );
        break;
      }
      default:
        throw new Error(`${c.file}:${c.line}: unknown command ${c.command}`);
    }
    return need().take();
  };
}

transcriptTests("controller", handler);
