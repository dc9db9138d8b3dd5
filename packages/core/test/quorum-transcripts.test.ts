/**
 * Scenario transcripts for the controller quorum's Raft node (testdata/quorum/*.txt), in etcd raft's
 * testdata style, run on the in-process cluster of `quorum-cluster.ts`. Each command prints what it
 * caused: persisted hard state and entries, delivered messages, role changes, applied entries.
 * Commands:
 *   cluster voters=N [seed=S] [compact=N] [manual-ack]   a fresh cluster of voters 1..N
 *   campaign N | propose N VALUE | ack N                 inputs to one node
 *   tick [N] [count=K]                                   K ticks to node N (or to every live node)
 *   deliver [from=A] [to=B] [type=T] [count=K] | drop ... deliver or drop the first matching messages
 *   stabilize                                            deliver until the network is quiet
 *   crash N | restart N | isolate N | heal               faults
 *   status | log N                                       summaries; `check` runs log matching
 * Rewrite the expected outputs with `UPDATE_TRANSCRIPTS=1 bun test`.
 */
import * as quorum from "../src/quorum/index.ts";
import { Cluster, type Msg } from "./quorum-cluster.ts";
import { int, type TranscriptCase, transcriptTests } from "./transcript.ts";

function handler(): (c: TranscriptCase) => string {
  let cluster: Cluster | null = null;
  let lines: string[] = [];
  const need = (): Cluster => {
    if (cluster === null) throw new Error("no cluster yet: start with `cluster`");
    return cluster;
  };
  const matcher = (c: TranscriptCase) => (m: Msg) =>
    (c.kv.from === undefined || m.from === int(c.kv.from, 0)) &&
    (c.kv.to === undefined || m.to === int(c.kv.to, 0)) &&
    (c.kv.type === undefined || m.type === c.kv.type);
  return (c) => {
    lines = [];
    const node = c.command === "cluster" || c.args[0] === undefined ? undefined : int(c.args[0], 0);
    switch (c.command) {
      case "cluster": {
        const voters = int(c.kv.voters, 3);
        cluster = new Cluster({
          ids: Array.from({ length: voters }, (_, k) => k + 1),
          seed: int(c.kv.seed, 1),
          compactEvery: int(c.kv.compact, 0),
          autoAck: !c.args.includes("manual-ack"),
          trace: (line) => lines.push(line),
        });
        return "ok";
      }
      case "campaign":
        need().step(node!, { type: "campaign" });
        break;
      case "propose": {
        const result = need().propose(node!, c.args[1] ?? "x");
        lines.unshift(`  ${node}: propose ${JSON.stringify(result)}`);
        break;
      }
      case "ack":
        need().ack(node!);
        break;
      case "tick":
        for (let k = 0; k < int(c.kv.count, 1); k++) {
          if (node === undefined) need().tickAll();
          else need().tick(node);
        }
        break;
      case "deliver":
      case "drop": {
        const match = matcher(c);
        const count = int(c.kv.count, Number.MAX_SAFE_INTEGER);
        let done = 0;
        while (done < count && need().deliverFirst(match, c.command === "drop")) done++;
        if (done === 0) lines.push("no matching message");
        break;
      }
      case "stabilize":
        need().stabilize();
        break;
      case "crash":
        need().crash(node!);
        break;
      case "restart":
        need().restart(node!);
        break;
      case "isolate":
        need().isolate(node!);
        lines.push(`isolated ${node}`);
        break;
      case "heal":
        need().heal();
        lines.push("healed");
        break;
      case "check":
        need().checkLogMatching();
        lines.push("ok");
        break;
      case "status":
        for (const n of need().nodes.values()) {
          const s = n.state;
          lines.push(
            `${n.id}: ${n.up ? s.role : "down"} term=${s.term} leader=${s.leaderId ?? "none"} commit=${s.commitIndex} ` +
              `applied=${s.appliedIndex} last=${quorum.lastIndex(s)}/${quorum.lastTerm(s)} snapshot=${s.snapshot.index}/${s.snapshot.term}`,
          );
        }
        lines.push(`in flight: ${need().network.length}`);
        break;
      case "log": {
        const s = need().node(node!).state;
        lines.push(`snapshot ${s.snapshot.index}/${s.snapshot.term}`);
        for (const e of s.entries) lines.push(`${e.index}/${e.term} ${e.payload ?? "(noop)"}`);
        break;
      }
      default:
        throw new Error(`${c.file}:${c.line}: unknown command ${c.command}`);
    }
    return lines.join("\n");
  };
}

transcriptTests("quorum", handler);
