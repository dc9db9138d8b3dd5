/**
 * `bun run perf produce|consume ...`: the command line entry. Parses the arguments, runs the command,
 * prints progress lines and the final line on stdout. Owns the exit codes: 0 for a run without errors,
 * 1 for a run that failed or counted errors, 2 for bad arguments (with the message and the usage, and
 * no stack trace). Must never print a stack trace for a problem a user can fix.
 */
import { ConnectionError, KafkaError } from "@eddy/client";
import { parsePerfArgs, UsageError, usage } from "./cli.ts";
import { runConsume } from "./consume.ts";
import { runProduce } from "./produce.ts";
import { formatFinal } from "./report.ts";

async function main(argv: readonly string[]): Promise<number> {
  let command: ReturnType<typeof parsePerfArgs>;
  try {
    command = parsePerfArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`perf: ${error.message}\n\n${usage}`);
    return 2;
  }
  if (command.kind === "help") {
    console.log(usage);
    return 0;
  }
  const print = (line: string): void => console.log(line);
  try {
    const figures =
      command.kind === "produce" ? await runProduce(command, print) : await runConsume(command, print);
    console.log(formatFinal(figures, command.output));
    return figures.errors === 0 ? 0 : 1;
  } catch (error) {
    if (error instanceof KafkaError || error instanceof ConnectionError) {
      console.error(`perf: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
process.exit();
