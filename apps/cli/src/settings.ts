/**
 * Connection settings: the flags, then the `--command-config` file (Kafka's properties format, as
 * `kafka-topics.sh --command-config` reads it), then the defaults. Owns reading that one file and the
 * precedence flag > file > default. Must never connect, and never accept a setting it does not
 * understand in silence: an unknown key in the file is refused, so a typo does not fall back to a
 * default broker.
 */
import { readFileSync } from "node:fs";
import { type Address, type GlobalOptions, parseBootstrap, UsageError } from "./args.ts";

export interface Settings {
  readonly bootstrap: readonly Address[];
  readonly output: "text" | "json";
  readonly timeoutMs: number;
}

const bootstrapDefault: readonly Address[] = [{ host: "127.0.0.1", port: 9092 }];
const timeoutMsDefault = 30_000;
/** A config file is a few lines; anything larger is not one. */
const configFileBytesMax = 64 * 1024;
/** Keys this tool acts on. Kafka clients' security keys are refused until the CLI speaks SASL. */
const knownKeys = new Set(["bootstrap.servers", "request.timeout.ms"]);

/** Parses `key=value` lines; `#` and `!` start comments, as in Java properties. */
export function parseProperties(text: string, file: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    const at = line.search(/[=:]/);
    if (at <= 0) throw new UsageError(`${file}:${index + 1}: expected key=value, got '${line}'`);
    const key = line.slice(0, at).trim();
    if (!knownKeys.has(key)) {
      throw new UsageError(
        `${file}:${index + 1}: unknown setting '${key}' (eddy reads ${[...knownKeys].join(", ")})`,
      );
    }
    result.set(key, line.slice(at + 1).trim());
  }
  return result;
}

export function resolveSettings(options: GlobalOptions): Settings {
  let file = new Map<string, string>();
  if (options.commandConfig !== null) {
    const path = options.commandConfig;
    let text: string;
    try {
      const bytes = readFileSync(path);
      if (bytes.length > configFileBytesMax) {
        throw new Error(`larger than ${configFileBytesMax} bytes; is it a properties file?`);
      }
      text = bytes.toString("utf8");
    } catch (error) {
      throw new UsageError(`cannot read --command-config ${path}: ${(error as Error).message}`);
    }
    file = parseProperties(text, path);
  }
  const servers = file.get("bootstrap.servers");
  const timeout = file.get("request.timeout.ms");
  if (timeout !== undefined && !/^[1-9][0-9]{0,9}$/.test(timeout)) {
    throw new UsageError(`request.timeout.ms in ${options.commandConfig} must be a positive integer`);
  }
  return {
    bootstrap:
      options.bootstrap ??
      (servers === undefined ? bootstrapDefault : parseBootstrap(servers, "bootstrap.servers")),
    output: options.output,
    timeoutMs: options.timeoutMs ?? (timeout === undefined ? timeoutMsDefault : Number(timeout)),
  };
}
