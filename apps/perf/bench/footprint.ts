/**
 * The issue 15 benchmarks that need a broker of their own, run one after another at the end of
 * `bun run bench` in apps/perf (each prints its table): restart after a clean shutdown and after
 * kill -9 with a large log (`restart.ts`), durable acks with group commit (`group-commit.ts`) and
 * 1 MiB records beside the disk's raw write rate (`large-records.ts`), and resident memory while producing
 * and with 10,000 partitions (`memory.ts`). Each runs in its own process
 * so one's broker, page cache use and garbage do not weigh on the next; arguments are passed on.
 */
import { join } from "node:path";
import { spawnSync } from "bun";

const steps = ["restart.ts", "group-commit.ts", "large-records.ts", "memory.ts"];
let failed = 0;
for (const step of steps) {
  const result = spawnSync(["bun", join(import.meta.dir, step), ...process.argv.slice(2)], {
    stdout: "inherit",
    stderr: "inherit",
  });
  if (result.exitCode !== 0) {
    console.error(`bench/${step} exited ${result.exitCode}`);
    failed += 1;
  }
}
if (failed > 0) process.exit(1);
