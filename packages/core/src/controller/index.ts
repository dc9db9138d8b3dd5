/**
 * The metadata controller (KRaft-like), applied on top of the committed entries of the controller
 * quorum (`quorum`). It must never perform I/O, read a clock or draw ambient randomness.
 *
 * API
 * - `initialState({ prng, config?, image? })`: a standby controller (config: `sessionTimeoutMs`
 *   9000, `uncleanLeaderElectionEnable` false).
 * - `step(state, input) -> { state, ready }`: the only way the state changes. Inputs:
 *   `committed {offset, records}` (a committed batch, applied by every node), `restore {image}`
 *   (after the quorum installed a snapshot), `activate {nowMs}` / `deactivate` (this node became /
 *   stopped being the quorum leader), `tick {nowMs}` (fences brokers whose session expired), and the
 *   requests `registerBroker`, `brokerHeartbeat`, `createTopics`, `deleteTopics`, `createPartitions`,
 *   `alterPartition`, `electLeaders`, `allocateProducerIds` (a block of `producerIdBlockSize` producer
 *   ids, committed as a ProducerIds record before it is answered), `createAcls` and `deleteAcls`
 *   (Kafka's ACLs, `acls.ts`, committed as AccessControlEntry and RemoveAccessControlEntry records),
 *   `alterUserScramCredentials` (`scram-credentials.ts`, committed as UserScramCredential and
 *   RemoveUserScramCredential records) and `alterTopicConfigs` (keys set and removed per topic, `topic-configs.ts`, committed as one
 *   Config record per changed key).
 *   A standby answers requests with NOT_CONTROLLER.
 * - `applyRecord(image, record)` / `applyBatch(image, offset, records)`: the pure fold every broker uses.
 * - `placeReplicas(brokerIds, count, replicationFactor, firstPartition?)`: the placement rule.
 *
 * How the shell drives it beside the quorum (one process, one Raft node, one controller):
 * 1. For each quorum Ready, after persisting and sending: if `softState.role` is not leader and the
 *    controller is active, feed `deactivate`; then feed each committed entry with a non-null payload
 *    as `committed { offset: entry.index, records: entry.payload }` (a snapshot as `restore`); then,
 *    if `softState.leaderReady` and the controller is not active, feed `activate`.
 * 2. For each controller Ready: propose `records` (if any) to the quorum as ONE entry; if the
 *    quorum refuses, feed `deactivate` and answer NOT_CONTROLLER; otherwise send `response` once that
 *    entry has committed (at once when `records` is empty).
 * Brokers act only on images built from committed batches (`state.image`), never on `latest`.
 */

export * from "./acls.ts";
export * from "./broker-configs.ts";
export { type ControllerOptions, initialState, step } from "./controller.ts";
export {
  changeForLostBroker,
  changeForOfflinePartition,
  type Election,
  electLeader,
  partitionChange,
  uncleanAllowed,
} from "./election.ts";
export {
  aclsOf,
  applyBatch,
  applyRecord,
  emptyImage,
  findBroker,
  isLive,
  liveBrokerIds,
  nextProducerIdOf,
  partitionCount,
  scramCredentialsOf,
} from "./image.ts";
export { type PlacementResult, placeReplicas } from "./placement.ts";
export * from "./scram-credentials.ts";
export * from "./topic-configs.ts";
export * from "./types.ts";
