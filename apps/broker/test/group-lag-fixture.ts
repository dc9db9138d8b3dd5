/**
 * The lagging group the cluster lag tests (cluster-group-lag, cluster-group-lag-secured) measure: a
 * topic of single-replica partitions spread over the nodes, p+3 records in partition p, and the group
 * committed at offset p in partition p, so every partition lags by 3; and the group as
 * `eddy groups describe -o json` reports it.
 *
 * It is test scaffolding: it must never be imported by production code. It leaves the kafkajs
 * connections to the caller, which opened them and closes them.
 */
import { spawn } from "bun";
import type { Admin, Producer } from "kafkajs";
import { repoRoot } from "./harness.ts";

export interface LaggingGroup {
  readonly topic: string;
  readonly groupId: string;
  /** At most a few dozen: one kafkajs send per partition. */
  readonly partitionCount: number;
  /** The acks of the sends (1 or -1). */
  readonly acks: number;
}

/** How many partitions `seedLaggingGroup` fills, at most: one send each. */
const partitionCountMax = 64;

/** Creates the topic, fills partition p with p+3 records and commits the group at offset p. */
export async function seedLaggingGroup(admin: Admin, producer: Producer, group: LaggingGroup): Promise<void> {
  const { topic, groupId, partitionCount, acks } = group;
  if (partitionCount < 1 || partitionCount > partitionCountMax)
    throw new RangeError(`partitionCount ${partitionCount} is outside 1..${partitionCountMax}`);
  await admin.createTopics({ topics: [{ topic, numPartitions: partitionCount, replicationFactor: 1 }] });
  for (let p = 0; p < partitionCount; p++) {
    await producer.send({
      topic,
      acks,
      messages: Array.from({ length: p + 3 }, (_, i) => ({ partition: p, value: `p${p}-${i}` })),
    });
  }
  await admin.setOffsets({
    groupId,
    topic,
    partitions: Array.from({ length: partitionCount }, (_, p) => ({ partition: p, offset: String(p) })),
  });
}

export interface DescribedGroup {
  readonly coordinator: { readonly nodeId: number };
  readonly offsets: readonly { topic: string; partition: number; committedOffset: number; lag: number }[];
}

/** `eddy groups describe GROUP -o json` against `bootstrap`, parsed; a non-zero exit fails with its stderr. */
export async function eddyGroupsDescribe(bootstrap: string, groupId: string): Promise<DescribedGroup> {
  const child = spawn(
    ["bun", "run", "--silent", "eddy", "-b", bootstrap, "groups", "describe", groupId, "-o", "json"],
    { cwd: repoRoot, stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`eddy groups describe exited ${code}: ${err}`);
  return JSON.parse(out) as DescribedGroup;
}
