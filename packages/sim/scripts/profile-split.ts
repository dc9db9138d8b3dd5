/**
 * Splits a CPU profile (`bun --cpu-prof`) by package: each sample counts for the package of its
 * innermost JavaScript frame (native frames are charged to the JavaScript that called them).
 */
const file = process.argv[2];
if (file === undefined) throw new Error("usage: bun scripts/profile-split.ts <file.cpuprofile>");

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly url: string };
  readonly children?: readonly number[];
}
const profile = JSON.parse(await Bun.file(file).text()) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const groups = ["packages/core", "packages/sim", "storage-memory", "packages/protocol", "effect"];
const groupOf = (url: string): string | null =>
  url === "" ? null : (groups.find((g) => url.includes(g)) ?? "other");
const byGroup = new Map<string, number>();
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  let id: number | undefined = profile.samples[i]!;
  let group: string | null = null;
  for (let hops = 0; id !== undefined && group === null && hops < 10_000; hops++) {
    group = groupOf(nodes.get(id)!.callFrame.url);
    id = parent.get(id);
  }
  const dt = profile.timeDeltas[i] ?? 0;
  byGroup.set(group ?? "(native)", (byGroup.get(group ?? "(native)") ?? 0) + dt);
  total += dt;
}
for (const [group, t] of [...byGroup].sort((a, b) => b[1] - a[1]))
  console.log(`${((100 * t) / total).toFixed(1).padStart(5)} % ${group}`);

export {};
