/**
 * A broken invariant found by a checker. `invariant` is the number in Appendix A of
 * docs/simulation.md (0 = determinism), so reports and the known-bug corpus can name what they found.
 */
export interface Violation {
  readonly invariant: number;
  readonly name: string;
  readonly atMs: number;
  readonly message: string;
}

export const invariantNames: Record<number, string> = {
  0: "determinism",
  1: "no-lost-acked-write",
  2: "committed-prefix-agreement",
  3: "offset-uniqueness",
  4: "single-leader-per-epoch",
  5: "leader-completeness",
  6: "hw-monotonic-quorum-backed",
  7: "no-truncation-below-hw",
  8: "monotonic-epochs",
  11: "idempotent-no-duplicates",
  12: "per-producer-order",
  13: "consumer-monotonic",
  14: "consumer-no-skip",
  15: "group-exclusivity-fencing",
  16: "committed-offsets-sane",
  17: "at-least-once-no-phantoms",
  18: "metadata-safety",
  19: "snapshot-log-start-consistency",
  20: "liveness-leaders",
  21: "liveness-progress",
  22: "liveness-convergence",
  23: "liveness-group-stable",
  24: "raft-committed-entries-stable",
  25: "isr-holds-committed-prefix",
  26: "producer-ids-unique",
  27: "one-owner-across-generations",
  28: "isr-member-no-truncation-below-hw",
  99: "crash",
};

/** Collects violations, keeping at most `violationsMax` so a broken run cannot exhaust memory. */
export const violationsMax = 100;

export class Violations {
  readonly list: Violation[] = [];
  /**
   * Check counts by invariant number, counted in an array because checkers call `checked` on every
   * event; invariant numbers are small (0 to 99). `order` keeps each number's first check.
   */
  private readonly counts: number[] = [];
  private readonly order: number[] = [];

  checked(invariant: number, count = 1): void {
    const prior = this.counts[invariant];
    if (prior === undefined) {
      this.order.push(invariant);
      this.counts[invariant] = count;
    } else this.counts[invariant] = prior + count;
  }

  /** How many checks ran, per invariant number, in the order of their first check. */
  get checks(): ReadonlyMap<number, number> {
    const map = new Map<number, number>();
    for (const inv of this.order) map.set(inv, this.counts[inv]!);
    return map;
  }

  add(invariant: number, atMs: number, message: string): void {
    if (this.list.length >= violationsMax) return;
    this.list.push({ invariant, name: invariantNames[invariant] ?? `inv-${invariant}`, atMs, message });
  }

  checksTotal(): number {
    let n = 0;
    for (const inv of this.order) n += this.counts[inv]!;
    return n;
  }
}
