/**
 * `bun run broker`: parses the command line, prints the start-up banner, runs the broker until SIGINT
 * or SIGTERM, then shuts down cleanly (stop accepting, finish in-flight requests, flush, exit 0). The
 * broker's life is a scoped Effect (`lifetime.ts`): its clean stop is the scope's release. Configuration
 * problems print one clear message and exit 2, a refused start (a `StartError`, handled by tag) exits
 * 1 naming why; never a stack trace. `--format` formats the data directory instead (`format-command.ts`).
 */
import * as Effect from "effect/Effect";
import { parseCli, usage } from "./config/cli.ts";
import { ConfigError } from "./config/resolve.ts";
import { formatCommand } from "./format-command.ts";
import { brokerResource, untilStopSignal } from "./lifetime.ts";
import { eddyVersion } from "./version.ts";

async function main(): Promise<number> {
  let cli: ReturnType<typeof parseCli>;
  try {
    cli = parseCli(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`eddy: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (cli.kind === "help") {
    console.log(usage);
    return 0;
  }
  for (const notice of cli.resolved.notices) console.error(`eddy: note: ${notice}`);
  const { config } = cli;
  if (cli.kind === "format") return formatCommand(config, cli.ignoreFormatted);
  const log = (line: string): void => console.error(`[${new Date().toISOString()}] ${line}`);
  // The broker's life is one scope: the stop that releases it runs however the program ends.
  const lifetime = Effect.gen(function* () {
    const broker = yield* brokerResource(config, log);
    console.log(
      [
        `Eddy ${eddyVersion} broker (Kafka protocol) node ${config.nodeId}`,
        `  listening   ${config.listener.host}:${broker.port}`,
        `  advertised  ${config.advertised.host}:${broker.advertisedPort}`,
        // Only a SASL listener adds a line: without SASL settings the banner is as it always was.
        ...(config.sasl === null
          ? []
          : [
              `  security    ${config.servedListeners.find((l) => l.name === config.listener.name)?.securityProtocol} (${config.sasl.mechanisms.join(", ")})`,
            ]),
        `  data dir    ${config.storageEngine === "memory" ? "(none: memory storage)" : config.dataDir}`,
        `  storage     ${config.storageEngine}`,
        // The admin listener (metrics, health, console) is named only when it is on.
        ...(broker.adminPort === 0
          ? []
          : [`  admin       http://${config.listener.host}:${broker.adminPort}/`]),
        `  version     ${eddyVersion}, Bun ${Bun.version}`,
        "ready",
      ].join("\n"),
    );
    const signal = yield* untilStopSignal();
    log(`${signal}: shutting down`);
    return 0;
  }).pipe(
    Effect.scoped,
    Effect.catchTag("StartError", (error) =>
      Effect.sync(() => {
        console.error(`eddy: cannot start: ${error.message}`);
        return 1;
      }),
    ),
  );
  return Effect.runPromise(lifetime);
}

process.exitCode = await main();
process.exit();
