/**
 * @eddy/node: everything a node does around the pure core, written once against the environment it
 * is handed (a monotonic clock, timers, a transport to peers, replies to clients, storage). The
 * broker's runtime binds it to real time, sockets and files; the simulator binds the same code to its
 * virtual clock, network and memory disk. It must never import Bun, `node:` modules or read the wall
 * clock: everything outside arrives through the environment.
 */
export { monotonicClock } from "./clock.ts";
export { controlledShutdownMsMax } from "./controlled-shutdown.ts";
export type {
  ControllerEnv,
  ControllerHooks,
  ControllerStore,
  MetadataImage,
  MetadataRecords,
  QuorumEntry,
  QuorumMessage,
  QuorumSnapshot,
  QuorumState,
} from "./controller/controller-env.ts";
export {
  type ControllerAnswer,
  MetadataController,
  type MetadataControllerOptions,
  pendingProposalsMax,
} from "./controller/metadata-controller.ts";
export {
  GroupCoordinator,
  type GroupCoreOptions,
  groupQueuedMax,
  groupWaitersMax,
  groupWakeDelayMsMax,
} from "./groups/group-coordinator.ts";
export type {
  GroupAnswer,
  GroupEnv,
  GroupHooks,
  GroupReply,
  GroupRequest,
  GroupStepFn,
} from "./groups/group-env.ts";
export {
  ProducerIdAllocator,
  type ProducerIdAllocatorOptions,
  type ProducerIdRequest,
  producerIdWaitersMaxDefault,
} from "./producer-ids/producer-id-allocator.ts";
export type { ProducerIdEnv } from "./producer-ids/producer-id-env.ts";
export { batchesPerWalkMax, sliceBatches, walkBatches } from "./replica/batch-walk.ts";
export {
  formatHwCheckpoint,
  HwCheckpoint,
  HwCheckpointError,
  hwCheckpointFileName,
  parseHwCheckpoint,
} from "./replica/hw-checkpoint.ts";
export {
  type BrokerLiveness,
  eligibilityBrokersMax,
  eligibilityReplicasMax,
  ineligibleReplicas,
} from "./replica/isr-eligibility.ts";
export { LogDir, type LogDirOptions, openPartitionsMax } from "./replica/log-dir.ts";
export {
  type Leadership,
  type ListOffsetAnswer,
  PartitionReplica,
  type ProduceOutcome,
  type ReadAnswer,
  type ReplicaOptions,
  type RetuneSettings,
  replicaWaitersMax,
} from "./replica/partition-replica.ts";
export { recoverEpochs, recoverProducers, scanBatchHeaders } from "./replica/recovery.ts";
export type { ReplicaEnv, ReplicaHooks, StepFn } from "./replica/replica-env.ts";
