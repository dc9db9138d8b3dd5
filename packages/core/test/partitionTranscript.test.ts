/**
 * Scenario transcripts for the partition replica (testdata/partition/*.txt), run against the in-process
 * cluster. Each command drives the cluster and prints every persist op, message and response it caused.
 * Commands:
 *   cluster brokers=N partitions=N min-isr=N [manual-appends] [lag=MS]
 *   elect [p=P] [leader=B]          controller elects B (or its first live ISR member); refuses non-ISR
 *   produce B [p=P] acks=all|1|0 [count=N] [pid=N epoch=N seq=N] [timeout=MS (60000)]
 *   complete-appends B [p=P]        finish B's outstanding appends (with manual-appends)
 *   deliver|drop [from=B] [to=B|controller] [p=P] [type=fetch|fetchResponse|alterPartition|alterPartitionResponse]
 *   stabilize                       deliver until no message is in flight
 *   tick [ms=N]                     advance logical time on every live broker
 *   crash B | fence B | restart B   process crash; controller fences B; B restarts from its disk
 *   list-offsets B [p=P]            ListOffsets latest as B answers it
 *   delete-records B [p=P] offset=N B moves its log start to N (DeleteRecords, retention), capped at its HW
 *   consumer-fetch B [p=P] offset=N what a consumer fetching at N may read from B
 *   status | check                  replica summaries; cross-replica safety checks
 */

import { partition, producer } from "../src/index.ts";
import { Cluster } from "./partitionCluster.ts";
import { int, type TranscriptCase, transcriptTests } from "./transcript.ts";

function acksOf(value: string | undefined): number {
  if (value === "all" || value === "-1") return -1;
  return int(value, -1);
}

function handler(): (c: TranscriptCase) => string {
  let cluster: Cluster | null = null;
  const need = (): Cluster => {
    if (cluster === null) throw new Error("no cluster yet: start with `cluster`");
    return cluster;
  };
  return (c) => {
    const p = int(c.kv.p, 0);
    const target = c.args[0] === undefined ? undefined : int(c.args[0], 0);
    switch (c.command) {
      case "cluster":
        cluster = new Cluster({
          brokers: int(c.kv.brokers, 3),
          partitions: int(c.kv.partitions, 1),
          minInsyncReplicas: int(c.kv["min-isr"], 1),
          autoComplete: !c.args.includes("manual-appends"),
          ...(c.kv.lag === undefined ? {} : { replicaLagTimeMaxMs: int(c.kv.lag, 30_000) }),
        });
        return "ok";
      case "elect":
        need().elect(p, c.kv.leader === undefined ? undefined : int(c.kv.leader, 0));
        return need().take();
      case "produce": {
        const idem =
          c.kv.pid === undefined
            ? undefined
            : { pid: int(c.kv.pid, 0), epoch: int(c.kv.epoch, 0), seq: int(c.kv.seq, 0) };
        need().produce(target!, p, acksOf(c.kv.acks), int(c.kv.count, 1), idem, int(c.kv.timeout, 60_000));
        return need().take();
      }
      case "complete-appends":
        need().completeAppends(target!, p);
        return need().take();
      case "deliver":
      case "drop": {
        const to =
          c.kv.to === undefined ? undefined : c.kv.to === "controller" ? "controller" : int(c.kv.to, 0);
        const from =
          c.kv.from === undefined ? undefined : c.kv.from === "controller" ? "controller" : int(c.kv.from, 0);
        const filter = (m: { from: unknown; to: unknown; partition: number; message: { type: string } }) =>
          (to === undefined || m.to === to) &&
          (from === undefined || m.from === from) &&
          (c.kv.p === undefined || m.partition === p) &&
          (c.kv.type === undefined || m.message.type === c.kv.type);
        if (c.command === "drop") return `dropped ${need().drop(filter)}`;
        need().deliver(filter);
        return need().take();
      }
      case "stabilize":
        need().stabilize();
        return need().take();
      case "tick":
        need().tick(int(c.kv.ms, 100));
        return need().take();
      case "delete-records":
        need().deleteRecords(target!, p, int(c.kv.offset, 0));
        return need().take();
      case "consumer-fetch": {
        const state = need().broker(target!).replicas[p]!.state;
        const b = partition.consumerReadBounds(state, {
          fetchOffset: int(c.kv.offset, 0),
          currentLeaderEpoch: -1,
        });
        return `${producer.errorName(b.errorCode)} read-to=${b.readToOffset} hw=${b.highWatermark} log-start=${b.logStartOffset}`;
      }
      case "crash":
        need().crash(target!);
        return need().take();
      case "fence":
        need().fence(target!);
        return need().take();
      case "restart":
        need().restart(target!);
        return need().take();
      case "list-offsets": {
        const state = need().broker(target!).replicas[p]!.state;
        const answer = partition.listOffsets(state, {
          timestamp: partition.latestTimestamp,
          currentLeaderEpoch: -1,
        });
        return `${producer.errorName(answer.errorCode)} offset=${answer.offset}`;
      }
      case "status":
        return need().status();
      case "check": {
        const problems = need().check();
        return problems.length === 0 ? "ok" : problems.join("\n");
      }
      default:
        throw new Error(`${c.file}:${c.line}: unknown command ${c.command}`);
    }
  };
}

transcriptTests("partition", handler);
