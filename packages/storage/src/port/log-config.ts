/**
 * Per-partition log settings, named after Kafka's properties but with units in the names, and the
 * mapping from Kafka property names. It owns the defaults (Kafka's) and their validation; it must
 * never read the environment or files: the broker passes properties in.
 */
/** Settings of one partition's log. `Infinity` means "never" where Kafka uses Long.MAX_VALUE. */
export interface LogConfig {
  /** `log.segment.bytes`: a segment is rolled before it would grow past this many bytes. */
  readonly segmentBytesMax: number;
  /** `log.roll.ms` / `.hours`: a segment is rolled once its records span this many milliseconds. */
  readonly rollMs: number;
  /** `log.retention.ms` / `.minutes` / `.hours`: whole segments older than this are deleted; -1 keeps forever. */
  readonly retentionMs: number;
  /** `log.retention.bytes`: oldest segments are deleted while the log exceeds this size; -1 means no limit. */
  readonly retentionBytesMax: number;
  /** `log.index.interval.bytes`: an offset index entry is written after this many log bytes. */
  readonly indexIntervalBytes: number;
  /** `log.index.size.max.bytes`: the preallocated size of an active segment's index; a full index rolls. */
  readonly indexBytesMax: number;
  /** `log.flush.interval.messages`: fsync after this many records; Infinity leaves it to the OS. */
  readonly flushIntervalMessages: number;
  /** `log.flush.interval.ms`: fsync when the oldest unflushed append is this old; Infinity leaves it to the OS. */
  readonly flushIntervalMs: number;
}

const hourMs = 60 * 60 * 1000;

/** Kafka's broker defaults. */
export const logConfigDefault: LogConfig = {
  segmentBytesMax: 1073741824,
  rollMs: 168 * hourMs,
  retentionMs: 168 * hourMs,
  retentionBytesMax: -1,
  indexIntervalBytes: 4096,
  indexBytesMax: 10485760,
  flushIntervalMessages: Number.POSITIVE_INFINITY,
  flushIntervalMs: Number.POSITIVE_INFINITY,
};

/** Kafka's smallest allowed `log.segment.bytes` is 14 bytes; we require room for one batch header. */
export const segmentBytesMin = 61;

/** Fills missing settings with defaults and rejects values Kafka would reject. */
export function logConfigMake(partial: Partial<LogConfig> = {}): LogConfig {
  const config = { ...logConfigDefault, ...partial };
  const problem = logConfigProblem(config);
  if (problem !== null) throw new RangeError(problem);
  return config;
}

/** Returns a sentence describing the first invalid setting, or null when all are valid. */
export function logConfigProblem(config: LogConfig): string | null {
  if (!(config.segmentBytesMax >= segmentBytesMin && config.segmentBytesMax <= 2 ** 31 - 1)) {
    return `segmentBytesMax must be in [${segmentBytesMin}, 2^31-1], got ${config.segmentBytesMax}`;
  }
  if (!(config.rollMs >= 1)) return `rollMs must be at least 1, got ${config.rollMs}`;
  if (!(config.retentionMs === -1 || config.retentionMs >= 0)) {
    return `retentionMs must be -1 or >= 0, got ${config.retentionMs}`;
  }
  if (!(config.retentionBytesMax === -1 || config.retentionBytesMax >= 0)) {
    return `retentionBytesMax must be -1 or >= 0, got ${config.retentionBytesMax}`;
  }
  if (!(config.indexIntervalBytes >= 0)) {
    return `indexIntervalBytes must be >= 0, got ${config.indexIntervalBytes}`;
  }
  if (!(config.indexBytesMax >= 8 * 4 && config.indexBytesMax <= 2 ** 31 - 1)) {
    return `indexBytesMax must be in [32, 2^31-1], got ${config.indexBytesMax}`;
  }
  if (!(config.flushIntervalMessages >= 1)) {
    return `flushIntervalMessages must be >= 1, got ${config.flushIntervalMessages}`;
  }
  if (!(config.flushIntervalMs >= 0)) return `flushIntervalMs must be >= 0, got ${config.flushIntervalMs}`;
  return null;
}

const longMax = "9223372036854775807";

function parseLong(name: string, value: string): number {
  if (value.trim() === longMax) return Number.POSITIVE_INFINITY;
  const n = Number(value);
  if (!Number.isFinite(n) || !Number.isInteger(n))
    throw new RangeError(`${name} is not an integer: ${value}`);
  return n;
}

/** The outcome of reading Kafka properties: a config, or the sentence saying which value is bad. */
export type LogConfigParsed =
  | { readonly _tag: "Valid"; readonly config: LogConfig }
  | { readonly _tag: "Invalid"; readonly problem: string };

/**
 * Maps Kafka property names (broker `log.*` or topic-level names such as `retention.ms`) to a
 * config. As in Kafka, `.ms` wins over `.minutes`, which wins over `.hours`.
 */
export function logConfigFromKafka(
  properties: Readonly<Record<string, string>>,
  base: LogConfig = logConfigDefault,
): LogConfigParsed {
  const get = (...names: ReadonlyArray<string>): number | undefined => {
    for (const name of names) {
      const value = properties[name] ?? properties[`log.${name}`];
      if (value !== undefined) return parseLong(name, value);
    }
    return undefined;
  };
  try {
    const hoursToMs = (h: number | undefined) => (h === undefined ? undefined : h * hourMs);
    const minutesToMs = (m: number | undefined) => (m === undefined ? undefined : m * 60_000);
    const retentionMs =
      get("retention.ms") ?? minutesToMs(get("retention.minutes")) ?? hoursToMs(get("retention.hours"));
    const config: LogConfig = {
      segmentBytesMax: get("segment.bytes") ?? base.segmentBytesMax,
      rollMs: get("roll.ms", "segment.ms") ?? hoursToMs(get("roll.hours")) ?? base.rollMs,
      retentionMs: retentionMs === undefined ? base.retentionMs : retentionMs < 0 ? -1 : retentionMs,
      retentionBytesMax: get("retention.bytes") ?? base.retentionBytesMax,
      indexIntervalBytes: get("index.interval.bytes") ?? base.indexIntervalBytes,
      indexBytesMax: get("index.size.max.bytes", "segment.index.bytes") ?? base.indexBytesMax,
      flushIntervalMessages: get("flush.interval.messages", "flush.messages") ?? base.flushIntervalMessages,
      flushIntervalMs: get("flush.interval.ms", "flush.ms") ?? base.flushIntervalMs,
    };
    const problem = logConfigProblem(config);
    return problem === null ? { _tag: "Valid", config } : { _tag: "Invalid", problem };
  } catch (error) {
    return { _tag: "Invalid", problem: String(error instanceof Error ? error.message : error) };
  }
}
