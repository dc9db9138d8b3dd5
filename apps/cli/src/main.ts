#!/usr/bin/env bun
import { ConnectionError } from "@eddy/client";
/**
 * `eddy` (or `bun run eddy -- ...` from the repository): the operators' command line entry. Parses
 * the arguments, connects, runs one command and prints its result on stdout. Owns the exit codes
 * scripts rely on: 0 done, 1 the broker refused or could not be reached (one line on stderr saying
 * what to do), 2 bad usage (the message and the usage text on stderr). Must never print a stack trace
 * for a problem a user can fix.
 */
import { Admin, KafkaError } from "./admin.ts";
import { type Parsed, parseCliArgs, UsageError, usage } from "./args.ts";
import { runCommand } from "./commands.ts";
import { dumpLogs } from "./dump-log.ts";
import { resolveSettings, type Settings } from "./settings.ts";

async function main(argv: readonly string[]): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`eddy: ${error.message}\n\n${usage}`);
    return 2;
  }
  const { command } = parsed;
  if (command.kind === "help") {
    console.log(usage);
    return 0;
  }
  if (command.kind === "dump-log") {
    // Local files: no broker, no connection settings.
    try {
      const dumped = dumpLogs(command.files, command.indexes);
      console.log(
        parsed.options.output === "json"
          ? JSON.stringify(dumped, null, 2)
          : dumped.map((d) => d.lines.join("\n")).join("\n\n"),
      );
      return 0;
    } catch (error) {
      if (!(error instanceof KafkaError)) throw error;
      console.error(`eddy: ${error.message}`);
      return 1;
    }
  }
  let settings: Settings;
  try {
    settings = resolveSettings(parsed.options);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`eddy: ${error.message}`);
    return 2;
  }
  let admin: Admin | null = null;
  try {
    admin = await Admin.connect(settings.bootstrap, settings.timeoutMs, settings.security);
    const result = await runCommand(admin, command, settings.output);
    if (typeof result === "string") console.log(result);
    else console.error(result.note);
    return 0;
  } catch (error) {
    if (error instanceof ConnectionError) {
      console.error(
        `eddy: ${error.message}; is a broker running there? Start one with 'bun run broker' or name another with -b HOST:PORT`,
      );
      return 1;
    }
    if (error instanceof KafkaError) {
      console.error(`eddy: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    admin?.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
process.exit();
