/**
 * One broker process a test starts by hand with its own arguments (`bun src/main.ts ...`), for the
 * cluster tests that give each node its own roles or listeners rather than `TestCluster`'s layout:
 * the process, and the tail of what it printed, kept for the test's failure messages.
 *
 * It is test scaffolding: it must never be imported by production code. It never kills a process;
 * the test that started one stops it.
 */
import { resolve } from "node:path";
import type { Subprocess } from "bun";
import { until } from "./harness.ts";

const mainPath = resolve(import.meta.dir, "../src/main.ts");

/** How long a node may take to print `ready`: a cold start under a loaded machine is a few seconds. */
const readyWaitMsMax = 30_000;

export interface NodeProcess {
  readonly id: number;
  readonly args: string[];
  proc: Subprocess<"ignore", "pipe", "pipe"> | null;
  /** The last `outputCharsMax` characters of its stdout and stderr, as they arrive. */
  output: string;
}

/**
 * Starts `node` (its output kept anew, at most `outputCharsMax` characters of its tail) and waits for
 * its `ready` line; a node that does not print it in time fails the test naming it.
 */
export async function startNodeProcess(node: NodeProcess, outputCharsMax: number): Promise<void> {
  if (!Number.isInteger(outputCharsMax) || outputCharsMax < 1)
    throw new RangeError(`outputCharsMax must be a positive whole number, not ${outputCharsMax}`);
  const proc = Bun.spawn([process.execPath, mainPath, ...node.args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  node.proc = proc;
  node.output = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream)
      node.output = (node.output + decoder.decode(chunk)).slice(-outputCharsMax);
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  await until(
    `node ${node.id} ready`,
    () => node.output.includes("\nready") || node.output.startsWith("ready"),
    readyWaitMsMax,
  );
}
