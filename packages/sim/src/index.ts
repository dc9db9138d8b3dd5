/**
 * Public surface of @eddy/sim: the deterministic simulator. Run one seed with `runOnce`, a batch with
 * `runBatch`, a named scenario from `scenarios`, a fast-check property with `simulationPredicate` over
 * `propertyInputArb`, or hunt a known bug with `hunt`. Nothing here reads the wall clock except to
 * report speed, and nothing draws ambient randomness.
 */
export { addResult, type BatchSummary, emptySummary, runBatch, speed, summaryTable } from "./batch.ts";
export { type BugName, bugNames, isBugName } from "./bugs.ts";
export { checkHistory, type FinalLogs } from "./check-history.ts";
export type {
  BrokerView,
  ClusterView,
  ConsumerView,
  ControllerView,
  GroupView,
  PartitionView,
  ProducerView,
  ReplicaView,
} from "./cluster/cluster-view.ts";
export {
  type KafkaClusterOptions,
  kafkaCluster,
  kafkaClusterDefaults,
  kafkaClusterWith,
  spareConsumersMax,
} from "./cluster/kafka-cluster.ts";
export { noopCluster } from "./cluster/noop-cluster.ts";
export { EventQueue } from "./event-queue.ts";
export { drawFaultRates, drawSchedule, type FaultEvent, type FaultRates, faultRatesNone } from "./faults.ts";
export { History } from "./history.ts";
export { bugInvariants, type HuntOptions, type HuntResult, hunt } from "./hunt.ts";
export {
  formatInput,
  formatTimeline,
  type LearnerInput,
  type LearnerInputKind,
  learnerDurationMsMax,
  learnerInputsMax,
  learnerKeyMax,
  learnerPartitionMax,
  type Partitioner,
  parseInput,
  parseTimeline,
  type TimedInput,
} from "./learner-input.ts";
export { models } from "./models.ts";
export { keyHashPartition, murmur2, toPositive } from "./murmur2.ts";
export { Network, type NetworkRates } from "./network.ts";
export { Probes } from "./probes.ts";
export {
  configFor,
  faultEventArb,
  faultRatesArb,
  type PropertyInput,
  propertyInputArb,
  SimulationFailure,
  simulationPredicate,
} from "./property.ts";
export { Rng, type StreamName, splitStreams, streamNames } from "./rng.ts";
export {
  type ClientInput,
  type ClusterFactory,
  type ClusterModel,
  type LivenessGap,
  type NodeDisk,
  type RunResult,
  runOnce,
} from "./run.ts";
export { type RunConfig, replayLine, runConfig, type WorkloadConfig, workloadDefault } from "./run-config.ts";
export { type Scenario, scenarioNames, scenarios } from "./scenarios.ts";
export { droppedRememberedMax, type MessageInFlight, type SimNode, Simulator } from "./simulator.ts";
export { eventsPerStepMax, type NamedMessage, type RunPhase, replayTo, SteppedRun } from "./stepped-run.ts";
export { Trace, type TraceEvent } from "./trace.ts";
export { invariantNames, type Violation, Violations } from "./violation.ts";
