/**
 * Connection settings: the flags, then the `--command-config` file (Kafka's properties format, as
 * `kafka-topics.sh --command-config` reads it), then the defaults. Owns reading that one file, the
 * precedence flag > file > default, and handing the file's security keys (`security.protocol`,
 * `sasl.*`, `ssl.*`) to the client package, which reads them as Kafka's clients do. Must never
 * connect, and never accept a setting it does not understand in silence: an unknown key in the file is
 * refused, so a typo does not fall back to a default broker or to plaintext.
 */
import { readFileSync } from "node:fs";
import {
  ClientConfigError,
  type ClientSecurity,
  clientSecurityFromProperties,
  securityPropertyKeys,
} from "@eddy/client";
import { type Address, type GlobalOptions, parseBootstrap, UsageError } from "./args.ts";

export interface Settings {
  readonly bootstrap: readonly Address[];
  readonly output: "text" | "json";
  readonly timeoutMs: number;
  /** TLS and SASL for every connection the command opens (plaintext without a config file). */
  readonly security: ClientSecurity;
}

const bootstrapDefault: readonly Address[] = [{ host: "127.0.0.1", port: 9092 }];
const timeoutMsDefault = 30_000;
/** A config file is a few lines; anything larger is not one. */
const configFileBytesMax = 64 * 1024;
/** Keys this tool acts on: where to connect, how long to wait, and how to secure the connection. */
const knownKeys = new Set(["bootstrap.servers", "request.timeout.ms", ...securityPropertyKeys]);

/**
 * Parses `key=value` lines as Java properties do: `#` and `!` start comments, a line ending in `\`
 * goes on on the next line (how a PEM in `ssl.truststore.certificates` is written), and `\` escapes
 * the next character (`\n`, `\t`, `\uXXXX` as in Java).
 */
export function parseProperties(text: string, file: string): Map<string, string> {
  const result = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const first = index;
    let line = lines[index]!.trimStart();
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    // An odd count of trailing backslashes continues the line; the next line's indent is dropped.
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && index + 1 < lines.length) {
      index++;
      line = line.slice(0, -1) + lines[index]!.trimStart();
    }
    line = line.trim();
    const at = line.search(/(?<!\\)[=:]/);
    if (at <= 0) throw new UsageError(`${file}:${first + 1}: expected key=value, got '${line}'`);
    const key = unescapeProperty(line.slice(0, at).trim());
    if (!knownKeys.has(key)) {
      throw new UsageError(
        `${file}:${first + 1}: unknown setting '${key}' (eddy reads ${[...knownKeys].join(", ")})`,
      );
    }
    result.set(key, unescapeProperty(line.slice(at + 1).trim()));
  }
  return result;
}

function unescapeProperty(text: string): string {
  const named: Record<string, string> = { n: "\n", t: "\t", r: "\r", f: "\f" };
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_all, c: string) =>
    c.length === 5 ? String.fromCharCode(Number.parseInt(c.slice(1), 16)) : (named[c] ?? c),
  );
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
  const securityKeys = new Map([...file].filter(([key]) => securityPropertyKeys.includes(key)));
  let security: ClientSecurity;
  try {
    security = clientSecurityFromProperties(securityKeys);
  } catch (error) {
    if (!(error instanceof ClientConfigError)) throw error;
    throw new UsageError(`${options.commandConfig}: ${error.message}`);
  }
  return {
    bootstrap:
      options.bootstrap ??
      (servers === undefined ? bootstrapDefault : parseBootstrap(servers, "bootstrap.servers")),
    output: options.output,
    timeoutMs: options.timeoutMs ?? (timeout === undefined ? timeoutMsDefault : Number(timeout)),
    security,
  };
}
