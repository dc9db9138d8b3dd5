/**
 * What every simulated node of one run shares: the simulator (for sending and timers), the run's
 * config, history, violations and the node indices of brokers and controllers. It is a plain bag of
 * references; nodes must never keep state in it except through the history and the online checker.
 */
import type { History } from "../history.ts";
import type { Probes } from "../probes.ts";
import type { RunConfig } from "../run-config.ts";
import type { Simulator } from "../simulator.ts";
import type { Violations } from "../violation.ts";
import type { OnlineChecker, ReplicaLogView } from "./online-checker.ts";

export interface World {
  readonly sim: Simulator;
  readonly config: RunConfig;
  readonly history: History;
  readonly violations: Violations;
  readonly online: OnlineChecker;
  readonly probes: Probes;
  brokers: number[];
  controllers: number[];
  /** False once the safety phase ends: clients stop issuing new work. */
  workloadOn: boolean;
  /** Monotonic counter for produced values, so every value in a run is unique. */
  valueNext: number;
  bug(name: import("../bugs.ts").BugName): boolean;
  /**
   * A live broker's log of one partition, for checkers on the controller side (25); undefined while
   * the broker is down or for a model without brokers. Set by the cluster model.
   */
  brokerLog?: (brokerId: number, partition: number) => ReplicaLogView | undefined;
  /**
   * The ISR of a partition in the newest committed metadata any live controller has applied (28: a
   * replica's own view of the ISR may be stale, since it hears of a shrink only in a later heartbeat
   * answer). Undefined before the topic exists or for a model without controllers.
   */
  committedIsr?: (partition: number) => readonly number[] | undefined;
}
