/**
 * `bun run bench` in apps/broker: produce then consume 1,000,000 records of 100 bytes with kcat
 * (librdkafka) at acks=1 and acks=-1 against a broker started as users start it, over its PLAINTEXT
 * listener and over a SASL_SSL listener of the same broker (SCRAM-SHA-256, TLS with a certificate
 * made for the run by /usr/bin/openssl), beside a Redis Streams baseline (XADD pipelined by
 * redis-benchmark, then XRANGE reads) measured in the same run on the same machine. Prints records/s
 * and MB/s for each, and the CPU seconds the server process itself spent (steadier than wall time on
 * a shared machine). `--records N` changes the count.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawn, spawnSync } from "bun";
import { removeDir, startBroker, tempDir } from "../test/harness.ts";
import { listenerPort, makeCertificates, overrides } from "../test/tls-fixture.ts";
import { runClusterThroughput } from "./cluster-throughput.ts";
import { runFailoverBench } from "./failover.ts";
import { runFetchSessionBytes } from "./fetch-session-bytes.ts";
import { runReplicaFetchSessionBytes } from "./replica-fetch-session-bytes.ts";

const recordCountArg = process.argv.indexOf("--records");
const recordCount = recordCountArg > 0 ? Number(process.argv[recordCountArg + 1]) : 1_000_000;
const recordBytes = 100;
const ensure = spawnSync(["bun", join(import.meta.dir, "../../../scripts/ensure-clients.ts"), "redis"], {
  stdout: "inherit",
  stderr: "inherit",
});
if (ensure.exitCode !== 0) process.exit(1);

interface Row {
  readonly what: string;
  readonly seconds: number;
  /** CPU seconds (user + system) the server process spent in the step; null where /proc is absent. */
  readonly serverCpuSeconds: number | null;
}
const rows: Row[] = [];
const work = tempDir("bench");

/**
 * CPU seconds used so far by process `pid` (Linux /proc, in clock ticks of 10 ms), or null. On a
 * shared machine wall time swings with other load; the server's own CPU time is the steadier figure.
 */
function cpuSeconds(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** `bun run broker` starts the broker as its only child; that child is the process to account. */
function onlyChild(pid: number): number | null {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/);
    return children.length === 1 && children[0] !== "" ? Number(children[0]) : null;
  } catch {
    return null;
  }
}

async function timed(what: string, serverPid: number | null, run: () => unknown): Promise<void> {
  const cpuBefore = cpuSeconds(serverPid);
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuSeconds(serverPid);
  const serverCpuSeconds = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
  rows.push({ what, seconds, serverCpuSeconds });
}

/** Runs `argv` to completion; stdout goes to the file `output` when given (else it is returned). */
function mustRun(argv: string[], input?: string, output?: string): string {
  const result = spawnSync(argv, {
    stdin: input === undefined ? "ignore" : Bun.file(input),
    stdout: output === undefined ? "pipe" : Bun.file(output),
  });
  if (result.exitCode !== 0) {
    throw new Error(
      `${argv.join(" ")} exited ${result.exitCode}: ${result.stderr.toString().slice(0, 2000)}`,
    );
  }
  return output === undefined ? (result.stdout?.toString() ?? "") : "";
}

/** Non-empty lines of a file, counted without decoding it. */
function countLines(path: string): number {
  const bytes = readFileSync(path);
  let lines = 0;
  let start = 0;
  for (let at = bytes.indexOf(10); at >= 0; at = bytes.indexOf(10, at + 1)) {
    if (at > start) lines++;
    start = at + 1;
  }
  return start < bytes.length ? lines + 1 : lines;
}

// One line per record: kcat -P sends each line as a record value of exactly `recordBytes` bytes.
const inputPath = join(work, "records.txt");
{
  const line = `${"x".repeat(recordBytes - 8)}`;
  const parts: string[] = [];
  for (let i = 0; i < recordCount; i++) parts.push(`${String(i).padStart(8, "0")}${line}`);
  writeFileSync(inputPath, `${parts.join("\n")}\n`);
}

// One broker with two listeners: the client PLAINTEXT one and a SASL_SSL one, so both routes are
// measured against the same process, data directory and machine state.
const certs = makeCertificates(tempDir("bench-tls"));
const scram = { username: "bench", password: "bench-secret" };
const broker = await startBroker({
  dataDir: join(work, "data"),
  args: overrides([
    "listeners=PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0",
    "ssl.keystore.type=PEM",
    `ssl.keystore.location=${certs.serverKeystore}`,
    "sasl.enabled.mechanisms=SCRAM-SHA-256",
    `listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required user_${scram.username}="${scram.password}";`,
  ]),
});
const brokerPid = onlyChild(broker.process.pid);
/** Each route: a row prefix, the bootstrap address, and the kcat settings that reach it. */
const routes = [
  { label: "eddy", bootstrap: broker.bootstrap, conf: [] as string[] },
  {
    label: "eddy SASL_SSL",
    bootstrap: `127.0.0.1:${listenerPort(broker, "SASL_SSL")}`,
    conf: [
      ["security.protocol=sasl_ssl", `ssl.ca.location=${certs.caPem}`, "sasl.mechanisms=SCRAM-SHA-256"],
      [`sasl.username=${scram.username}`, `sasl.password=${scram.password}`],
    ]
      .flat()
      .flatMap((setting) => ["-X", setting]),
  },
];
try {
  for (const route of routes)
    for (const acks of ["1", "-1"]) {
      const topic = `bench-${route.conf.length === 0 ? "plain" : "sasl-ssl"}-acks${acks}`;
      const bootstrap = route.bootstrap;
      const producerConf = ["-X", `acks=${acks}`, "-X", "linger.ms=5", "-X", "batch.num.messages=10000"];
      producerConf.push("-X", "batch.size=1000000", "-X", "queue.buffering.max.messages=2000000");
      producerConf.push(...route.conf);
      // The topic is created (by a metadata request, auto-create) before the clock starts, as a
      // throughput test of an existing topic; creation is a metadata round trip, not record throughput.
      mustRun(["kcat", "-L", "-b", bootstrap, "-t", topic, "-q", ...route.conf]);
      await timed(`${route.label} produce acks=${acks}`, brokerPid, () =>
        mustRun(["kcat", "-P", "-b", bootstrap, "-t", topic, "-q", ...producerConf], inputPath),
      );
      // kcat writes every record to a file: reading 100 MB through a pipe into this process would
      // time this harness rather than the broker (it tripled the consume time when measured). kcat
      // learns it reached the end (-e) only from a fetch at the high watermark, which long-polls
      // fetch.wait.max.ms (500 ms by default, as in Kafka) before the empty answer; that idle wait
      // after the last record is not throughput, so the consumer asks for a short one. And when the
      // broker outpaces kcat's output thread, librdkafka stops fetching at queued.min.messages and
      // resumes only on its once-a-second timer (seen as 0.7-0.9 s idle gaps in its fetch debug log);
      // a prefetch queue that holds the whole run keeps it fetching.
      const consumedPath = join(work, `consumed-${acks}.txt`);
      const consumerConf = [
        "-X",
        "fetch.wait.max.ms=10",
        "-X",
        `queued.min.messages=${Math.min(recordCount * 2, 10_000_000)}`,
      ];
      consumerConf.push("-X", "queued.max.messages.kbytes=2097151", ...route.conf);
      await timed(`${route.label} consume (after acks=${acks})`, brokerPid, () =>
        mustRun(
          ["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", ...consumerConf],
          undefined,
          consumedPath,
        ),
      );
      const lines = countLines(consumedPath);
      // One partition, so kcat prints the records in produce order: the output must be the input.
      const same = readFileSync(consumedPath).equals(readFileSync(inputPath));
      removeDir(consumedPath);
      if (lines !== recordCount) throw new Error(`consumed ${lines} records, expected ${recordCount}`);
      if (!same)
        throw new Error(`consumed records differ from the produced ones (${route.label}, acks=${acks})`);
    }
} finally {
  await broker.stop();
  removeDir(certs.dir);
}

// Redis Streams baseline on the same machine, in the same run.
const redisPort = 20_000 + Math.floor(Math.random() * 20_000);
const redis = spawn(["redis-server", "--port", String(redisPort), "--save", "", "--appendonly", "no"], {
  stdout: "ignore",
  stderr: "ignore",
});
try {
  for (let i = 0; i < 100; i++) {
    if (
      spawnSync(["redis-cli", "-p", String(redisPort), "ping"])
        .stdout.toString()
        .includes("PONG")
    )
      break;
    await Bun.sleep(50);
  }
  const value = "x".repeat(recordBytes);
  await timed("redis XADD (pipelined 1000)", redis.pid, () =>
    mustRun([
      "redis-benchmark",
      "-p",
      String(redisPort),
      "-n",
      String(recordCount),
      "-c",
      "1",
      "-P",
      "1000",
      "-q",
      "XADD",
      "bench",
      "*",
      "v",
      value,
    ]),
  );
  const client = new Bun.RedisClient(`redis://127.0.0.1:${redisPort}`);
  let read = 0;
  await timed("redis XRANGE (10000 per call)", redis.pid, async () => {
    let from = "-";
    for (let guard = 0; guard < recordCount; guard++) {
      const batch = (await client.send("XRANGE", ["bench", from, "+", "COUNT", "10000"])) as [
        string,
        string[],
      ][];
      if (batch.length === 0) break;
      read += batch.length;
      const lastId = batch[batch.length - 1]![0];
      from = `(${lastId}`;
    }
  });
  client.close();
  if (read !== recordCount) throw new Error(`redis read ${read} entries, expected ${recordCount}`);
} finally {
  redis.kill();
  removeDir(work);
}

console.log(
  `\n${recordCount.toLocaleString("en")} records of ${recordBytes} bytes each, this machine, one run:`,
);
console.log("what                                        seconds     records/s        MB/s  server CPU s");
for (const row of rows) {
  const perSecond = recordCount / row.seconds;
  const mbPerSecond = (perSecond * recordBytes) / 1e6;
  console.log(
    `${row.what.padEnd(43)} ${row.seconds.toFixed(2).padStart(7)} ${Math.round(perSecond).toLocaleString("en").padStart(13)} ${mbPerSecond.toFixed(1).padStart(11)} ${(row.serverCpuSeconds?.toFixed(2) ?? "-").padStart(13)}`,
  );
}

// Cluster (issue 12), in this same run: acks=all to replication factor 3 on three local processes
// beside a single node's acks=all (bench/cluster-throughput.ts), then failover times after kill -9
// and a clean stop of a leader (bench/failover.ts).
await runClusterThroughput(recordCount);
await runFailoverBench();
// Fetch sessions (issue 15, KIP-227): bytes per idle fetch of 1,000 partitions, full beside incremental.
await runFetchSessionBytes();
// Follower fetch sessions: bytes per idle replica Fetch of 1,000 partitions, sessionless beside incremental.
await runReplicaFetchSessionBytes();
