/**
 * The perf tool's own event-loop lag: a timer due every 10 ms records how late it fired. A late timer
 * means a response or a send of the tool waited as long, so a latency tail that matches the tool's lag
 * is the tool's (or the shared machine's), not the broker's. Owns that one timer and its histogram.
 * Must never run after `stop()`, nor keep more than the histogram's fixed buckets.
 */
import { LatencyHistogram } from "./histogram.ts";

const tickMs = 10;

export class LoopLag {
  private readonly lag = new LatencyHistogram();
  private expectedMs = performance.now() + tickMs;
  private readonly timer = setInterval(() => {
    const nowMs = performance.now();
    this.lag.record(Math.max(0, nowMs - this.expectedMs) * 1000);
    this.expectedMs = nowMs + tickMs;
  }, tickMs);

  /** Stops the timer (again is harmless) and returns the lag's p99 and max in ms. */
  stop(): { loopLagMsP99: number; loopLagMsMax: number } {
    clearInterval(this.timer);
    return {
      loopLagMsP99: Math.round(this.lag.percentileUs(99)) / 1000,
      loopLagMsMax: Math.round(this.lag.maxUs) / 1000,
    };
  }
}
