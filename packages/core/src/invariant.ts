/**
 * Assertions for the pure core. They stay on in production: a broken invariant in a replication or
 * group state machine means data loss or a split brain, and crashing loudly is the only safe answer.
 * This module must never depend on anything with side effects.
 */

/** Thrown when an invariant of a core state machine is broken; it signals a bug, never bad input. */
export class InvariantError extends Error {
  override readonly name = "InvariantError";
}

/** Asserts `condition`; the message is built lazily so the hot path pays nothing when it holds. */
export function invariant(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) {
    throw new InvariantError(typeof message === "function" ? message() : message);
  }
}

/** Marks a branch that the type system proves unreachable; a value arriving here is a bug. */
export function unreachable(value: never, what: string): never {
  throw new InvariantError(`unreachable ${what}: ${JSON.stringify(value)}`);
}
