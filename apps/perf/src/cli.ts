/**
 * The perf tool's command line: `produce` and `consume` with Kafka's perf-test flag names where they
 * exist, parsed by `node:util`'s parseArgs (the parser `bun run broker` uses). Owns turning argv into a
 * checked `ProduceOptions` or `ConsumeOptions`, or into a `UsageError` whose message the caller prints
 * as is. Must never do I/O or start work: a bad flag is refused before any connection is made.
 */
import { parseArgs } from "node:util";

export const usage = `Usage:
  bun run perf produce --topic T --records N [options]
  bun run perf consume --topic T --records N [options]

Common options:
  --bootstrap-server HOST:PORT  broker to ask for metadata            default 127.0.0.1:9092
  --reporting-interval MS       progress line every MS milliseconds   default 5000
  --output text|json            final line as text or as one JSON object  default text
  --timeout-ms MS               give up when a request (produce) or the stream (consume) is silent this long
                                                                      default 30000 / 10000
  --warmup-records N            also report the records after the first N on a "steady state" line
                                (Kafka's --warmup-records; N below --records)  default 0

produce (like kafka-producer-perf-test):
  --record-size BYTES           value bytes per record                default 100
  --throughput R                records/s cap, -1 for unthrottled     default -1
  --acks 0|1|-1|all             acknowledgement the broker gives      default 1
  --batch-size BYTES            close a partition's batch at this size  default 16384
  --linger-ms MS                wait this long for a batch to fill    default 0
  --max-in-flight N             unacknowledged requests per broker    default 5
  --partitions N                partitions when the topic is created  default 1

consume (like kafka-consumer-perf-test, plus end-to-end latency from CreateTime):
  --group ID                    join consumer group ID and commit its offsets at the end
                                (without it, every partition is read from the start, no group)
  --from-latest                 start at the end of the log instead of the start
  --fetch-max-bytes BYTES       bytes per fetch response              default 52428800
  --fetch-max-wait-ms MS        how long a fetch may wait for data    default 500

  -h, --help                    show this help`;

export class UsageError extends Error {}

interface CommonOptions {
  readonly topic: string;
  readonly recordsCount: number;
  readonly bootstrapHost: string;
  readonly bootstrapPort: number;
  readonly reportingIntervalMs: number;
  readonly output: "text" | "json";
  readonly timeoutMs: number;
  /** Records counted only in the whole run, not in the steady state (0: no steady state). */
  readonly warmupRecords: number;
}

export interface ProduceOptions extends CommonOptions {
  readonly kind: "produce";
  readonly recordBytes: number;
  /** Records per second, or -1 for no cap. */
  readonly throughputRecordsPerSecond: number;
  readonly acks: 0 | 1 | -1;
  readonly batchBytes: number;
  readonly lingerMs: number;
  readonly inFlightMax: number;
  readonly partitionsCount: number;
}

export interface ConsumeOptions extends CommonOptions {
  readonly kind: "consume";
  readonly group: string | null;
  readonly fromLatest: boolean;
  readonly fetchBytesMax: number;
  readonly fetchWaitMsMax: number;
}

export type PerfCommand = ProduceOptions | ConsumeOptions | { readonly kind: "help" };

const produceOnly = [
  "record-size",
  "throughput",
  "acks",
  "batch-size",
  "linger-ms",
  "max-in-flight",
  "partitions",
];
const consumeOnly = ["group", "from-latest", "fetch-max-bytes", "fetch-max-wait-ms"];

/** An integer flag within [min, max], or the default when absent; anything else is a UsageError. */
function integerFlag(
  values: Record<string, unknown>,
  name: string,
  fallback: number | null,
  min: number,
  max: number,
): number {
  const raw = values[name];
  if (raw === undefined) {
    if (fallback === null) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const text = String(raw).trim();
  const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${String(raw)}"`);
  }
  return value;
}

function parseBootstrap(text: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:,\s]+):(\d{1,5})$/.exec(text.split(",")[0]!.trim());
  const port = match === null ? Number.NaN : Number(match[2]);
  if (match === null || port < 1 || port > 65535) {
    throw new UsageError(`--bootstrap-server must be HOST:PORT, got "${text}"`);
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ""), port };
}

/**
 * parseArgs reads `--acks -1` as two flags; Kafka's tools take it, so a negative number after a flag
 * that takes a value is joined to it (`--acks=-1`).
 */
function joinNegativeValues(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (/^--[a-z-]+$/.test(arg) && next !== undefined && /^-\d+$/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** Parses argv (after the script name) into a command, or throws UsageError with a clear message. */
export function parsePerfArgs(argv: readonly string[]): PerfCommand {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    return { kind: "help" };
  }
  if (command !== "produce" && command !== "consume") {
    throw new UsageError(`unknown command "${command}": expected produce or consume`);
  }
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      args: joinNegativeValues(rest),
      strict: true,
      allowPositionals: false,
      options: {
        topic: { type: "string" },
        records: { type: "string" },
        "bootstrap-server": { type: "string" },
        "reporting-interval": { type: "string" },
        output: { type: "string" },
        "timeout-ms": { type: "string" },
        "warmup-records": { type: "string" },
        "record-size": { type: "string" },
        throughput: { type: "string" },
        acks: { type: "string" },
        "batch-size": { type: "string" },
        "linger-ms": { type: "string" },
        "max-in-flight": { type: "string" },
        partitions: { type: "string" },
        group: { type: "string" },
        "from-latest": { type: "boolean" },
        "fetch-max-bytes": { type: "string" },
        "fetch-max-wait-ms": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help === true) return { kind: "help" };
  const wrongSide = command === "produce" ? consumeOnly : produceOnly;
  for (const name of wrongSide) {
    if (values[name] !== undefined) throw new UsageError(`--${name} is not an option of ${command}`);
  }
  const topic = values.topic;
  if (typeof topic !== "string" || topic === "") throw new UsageError("--topic is required");
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(topic)) {
    throw new UsageError(`--topic "${topic}" is not a legal Kafka topic name ([a-zA-Z0-9._-], 1 to 249)`);
  }
  const output = values.output ?? "text";
  if (output !== "text" && output !== "json") {
    throw new UsageError(`--output must be text or json, got "${String(output)}"`);
  }
  const bootstrap = parseBootstrap(String(values["bootstrap-server"] ?? "127.0.0.1:9092"));
  // A bound keeps every counter an exact double and every loop finite.
  const recordsCount = integerFlag(values, "records", null, 1, 1e12);
  const warmupRecords = integerFlag(values, "warmup-records", 0, 0, 1e12);
  if (warmupRecords >= recordsCount) {
    // Kafka's rule: a warm-up of the whole run would leave no steady state to report.
    throw new UsageError(
      `--warmup-records must be fewer than --records (${recordsCount}), got ${warmupRecords}`,
    );
  }
  const common: CommonOptions = {
    topic,
    recordsCount,
    warmupRecords,
    bootstrapHost: bootstrap.host,
    bootstrapPort: bootstrap.port,
    reportingIntervalMs: integerFlag(values, "reporting-interval", 5000, 10, 3_600_000),
    output,
    timeoutMs: integerFlag(values, "timeout-ms", command === "produce" ? 30_000 : 10_000, 1, 3_600_000),
  };
  if (command === "produce") {
    const acksText = String(values.acks ?? "1");
    const acks = acksText === "all" ? -1 : Number(acksText);
    if (acks !== 0 && acks !== 1 && acks !== -1) {
      throw new UsageError(`--acks must be 0, 1, -1 or all, got "${acksText}"`);
    }
    const throughput = integerFlag(values, "throughput", -1, -1, 1e9);
    if (throughput === 0) throw new UsageError("--throughput must be positive, or -1 for no cap");
    return {
      ...common,
      kind: "produce",
      recordBytes: integerFlag(values, "record-size", 100, 0, 64 * 1024 * 1024),
      throughputRecordsPerSecond: throughput,
      acks,
      batchBytes: integerFlag(values, "batch-size", 16_384, 1, 64 * 1024 * 1024),
      lingerMs: integerFlag(values, "linger-ms", 0, 0, 60_000),
      inFlightMax: integerFlag(values, "max-in-flight", 5, 1, 1000),
      partitionsCount: integerFlag(values, "partitions", 1, 1, 100_000),
    };
  }
  const group = values.group;
  if (group !== undefined && (typeof group !== "string" || group === "")) {
    throw new UsageError("--group needs a group id");
  }
  return {
    ...common,
    kind: "consume",
    group: group === undefined ? null : group,
    fromLatest: values["from-latest"] === true,
    fetchBytesMax: integerFlag(values, "fetch-max-bytes", 52_428_800, 1024, 1024 * 1024 * 1024),
    fetchWaitMsMax: integerFlag(values, "fetch-max-wait-ms", 500, 0, 60_000),
  };
}
