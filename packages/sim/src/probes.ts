/**
 * Coverage probes ("sometimes" assertions, FoundationDB's CODE_PROBE): counters of rare paths a run
 * went through (a leader failover, an ISR shrink, a follower truncation, a fenced commit...). Scenarios
 * assert on them to prove they drove the situation they name; batches report them.
 */
export const probeNamesMax = 256;

export class Probes {
  readonly counts = new Map<string, number>();

  hit(name: string): void {
    const n = this.counts.get(name);
    if (n === undefined && this.counts.size >= probeNamesMax) return;
    this.counts.set(name, (n ?? 0) + 1);
  }

  get(name: string): number {
    return this.counts.get(name) ?? 0;
  }
}
