/**
 * `bun run broker`: parses the command line, prints the start-up banner, runs the broker until SIGINT
 * or SIGTERM, then shuts down cleanly (stop accepting, finish in-flight requests, flush, exit 0).
 * Configuration problems print one clear message and exit 2, never a stack trace.
 */
import { Broker } from "./broker.ts";
import { parseCli, usage } from "./config/cli.ts";
import { ConfigError } from "./config/resolve.ts";
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
  const log = (line: string): void => console.error(`[${new Date().toISOString()}] ${line}`);
  let broker: Broker;
  try {
    broker = await Broker.start(config, log);
  } catch (error) {
    console.error(`eddy: cannot start: ${(error as Error).message}`);
    return 1;
  }
  console.log(
    [
      `Eddy ${eddyVersion} broker (Kafka protocol) node ${config.nodeId}`,
      `  listening   ${config.listener.host}:${broker.port}`,
      `  advertised  ${config.advertised.host}:${broker.advertisedPort}`,
      `  data dir    ${config.storageEngine === "memory" ? "(none: memory storage)" : config.dataDir}`,
      `  storage     ${config.storageEngine}`,
      `  version     ${eddyVersion}, Bun ${Bun.version}`,
      "ready",
    ].join("\n"),
  );
  const signal = await new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  log(`${signal}: shutting down`);
  await broker.stop();
  log("stopped cleanly");
  return 0;
}

process.exitCode = await main();
process.exit();
