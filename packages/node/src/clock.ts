/**
 * A node's clock: whatever time source its environment has (the wall clock in the broker, a skewed
 * virtual clock in the simulator), made monotonic. The core's state machines assert that time never
 * goes backwards; a wall clock set back by NTP or an operator must slow the node down, not stop it.
 * It owns only that rule; it must never read a time source of its own.
 */

/** A clock that returns `read()`, or the latest reading it returned when `read()` is behind it. */
export function monotonicClock(read: () => number): () => number {
  let latestMs = Number.NEGATIVE_INFINITY;
  return () => {
    const now = read();
    if (now > latestMs) latestMs = now;
    return latestMs;
  };
}
