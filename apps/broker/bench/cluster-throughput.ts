/**
 * Produce throughput with acks=all to replication factor 3 on three local broker processes, beside
 * the single-node acks=all figure measured in the same run with the same records and the same
 * producer (issue 12's goal: at least half of the single-node figure). kcat (librdkafka) sends the
 * records, configured as `bench/index.ts` configures it, to a topic of one partition created before
 * the clock starts.
 *
 * Owns only its brokers and its input file. Must never compare figures from different runs, and
 * never count a run whose records are not all stored: kcat exits non-zero when a delivery failed,
 * and the partition's end offset, read back after the run, must equal the number of records.
 *
 * `bun bench/cluster-throughput.ts [--records N]` alone, or from `bun bench/index.ts`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "bun";
import { TestCluster } from "../test/cluster-harness.ts";
import { kcat, removeDir, startBroker, tempDir, until } from "../test/harness.ts";

const recordBytes = 100;
/** The goal: the cluster's acks=all figure over the single node's. */
const ratioGoal = 0.5;
/** A kcat run that takes longer than this has stalled; the bench fails rather than waits. */
const produceMsMax = 300_000;

export interface ThroughputFigures {
  readonly singleRecordsPerSecond: number;
  readonly clusterRecordsPerSecond: number;
}

/**
 * Records produced to another topic before the clock starts, on the single node and on the cluster
 * alike: a fresh broker's first records run before the JIT has compiled its hot paths (in one run
 * a fresh single node took 2.79 s for 1 M records at acks=all where `bench/index.ts`'s broker, warm
 * from 1 M records at acks=1, took 1.13 s), and that row is measured on a warm broker.
 */
const warmupRecordCount = (recordCount: number) => Math.min(200_000, Math.ceil(recordCount / 5));

/** kcat as `bench/index.ts` runs it, with acks=all. */
const producerConf = [
  "-X",
  "acks=-1",
  "-X",
  "linger.ms=5",
  "-X",
  "batch.num.messages=10000",
  "-X",
  "batch.size=1000000",
  "-X",
  "queue.buffering.max.messages=2000000",
];

/** Sends every line of `inputPath` as a record; resolves with the seconds it took. */
function produce(bootstrap: string, topic: string, inputPath: string): number {
  const started = performance.now();
  const result = spawnSync(["kcat", "-P", "-b", bootstrap, "-t", topic, "-p", "0", "-q", ...producerConf], {
    stdin: Bun.file(inputPath),
    stdout: "ignore",
    stderr: "pipe",
    timeout: produceMsMax,
  });
  const seconds = (performance.now() - started) / 1000;
  // kcat exits non-zero when a record was not delivered (a failed delivery report).
  if (result.exitCode !== 0) {
    throw new Error(
      `kcat -P to ${topic} exited ${result.exitCode}: ${result.stderr.toString().slice(0, 2000)}`,
    );
  }
  return seconds;
}

/** The partition's end offset, read with kcat (`-o -1` prints the last record's offset). */
function endOffset(bootstrap: string, topic: string): number {
  const out = kcat([
    "-C",
    "-b",
    bootstrap,
    "-t",
    topic,
    "-p",
    "0",
    "-o",
    "-1",
    "-c",
    "1",
    "-e",
    "-q",
    "-f",
    "%o\n",
  ]);
  return Number(out.trim()) + 1;
}

/** Measures both figures and prints them with their ratio. */
export async function runClusterThroughput(recordCount: number): Promise<ThroughputFigures> {
  const work = tempDir("cluster-bench");
  const inputPath = join(work, "records.txt");
  const warmupPath = join(work, "warmup.txt");
  {
    const tail = "x".repeat(recordBytes - 8);
    const parts: string[] = [];
    for (let i = 0; i < recordCount; i++) parts.push(`${String(i).padStart(8, "0")}${tail}`);
    writeFileSync(inputPath, `${parts.join("\n")}\n`);
    writeFileSync(warmupPath, `${parts.slice(0, warmupRecordCount(recordCount)).join("\n")}\n`);
  }
  try {
    const single = await startBroker({ dataDir: join(work, "single") });
    let singleSeconds: number;
    try {
      const topic = "bench-single";
      kcat(["-L", "-b", single.bootstrap, "-t", "warmup", "-q"]);
      produce(single.bootstrap, "warmup", warmupPath);
      kcat(["-L", "-b", single.bootstrap, "-t", topic, "-q"]);
      singleSeconds = produce(single.bootstrap, topic, inputPath);
      const end = endOffset(single.bootstrap, topic);
      if (end !== recordCount) throw new Error(`single node holds ${end} records, expected ${recordCount}`);
    } finally {
      await single.stop();
    }

    const cluster = await TestCluster.start({
      nodes: 3,
      defaultSessionTimeout: true,
      properties: { "min.insync.replicas": "2", "num.partitions": "1" },
    });
    let clusterSeconds: number;
    try {
      const topic = "bench-rf3";
      for (const t of ["warmup", topic]) {
        await until(`${t} with a full ISR`, () => {
          cluster.metadata(t);
          const ps = cluster.partitions(t);
          return ps.length === 1 && ps[0]!.replicas.length === 3 && ps[0]!.isrs.length === 3;
        });
      }
      produce(cluster.bootstrap, "warmup", warmupPath);
      clusterSeconds = produce(cluster.bootstrap, topic, inputPath);
      const end = endOffset(cluster.bootstrap, topic);
      if (end !== recordCount) throw new Error(`the cluster holds ${end} records, expected ${recordCount}`);
    } catch (error) {
      console.log(cluster.outputs());
      throw error;
    } finally {
      await cluster.close();
    }

    const singleRecordsPerSecond = recordCount / singleSeconds;
    const clusterRecordsPerSecond = recordCount / clusterSeconds;
    const ratio = clusterRecordsPerSecond / singleRecordsPerSecond;
    const row = (what: string, seconds: number, perSecond: number) =>
      `${what.padEnd(44)} ${seconds.toFixed(2).padStart(7)} s ${Math.round(perSecond).toLocaleString("en").padStart(11)} records/s ${((perSecond * recordBytes) / 1e6).toFixed(1).padStart(7)} MB/s`;
    console.log(
      `\nCluster throughput: ${recordCount.toLocaleString("en")} records of ${recordBytes} bytes, kcat acks=all, one partition, after ${warmupRecordCount(recordCount).toLocaleString("en")} warm-up records, this machine, one run`,
    );
    console.log(row("single node, replication factor 1", singleSeconds, singleRecordsPerSecond));
    console.log(row("3 processes, replication factor 3, min.isr 2", clusterSeconds, clusterRecordsPerSecond));
    console.log(
      `ratio ${ratio.toFixed(2)}   goal >= ${ratioGoal} (${ratio >= ratioGoal ? "met" : "NOT met"}); the 3 brokers and kcat share this machine's cores, so the cluster's figure is noisy`,
    );
    return { singleRecordsPerSecond, clusterRecordsPerSecond };
  } finally {
    removeDir(work);
  }
}

if (import.meta.main) {
  const at = process.argv.indexOf("--records");
  await runClusterThroughput(at > 0 ? Number(process.argv[at + 1]) : 1_000_000);
}
