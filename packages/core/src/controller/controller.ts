/**
 * The metadata controller as a pure state machine: `step(state, input)` decides what records to
 * propose for each request (broker registration and heartbeats, fencing on session expiry, topic and
 * partition creation with the placement rule, ISR changes, leader elections, producer-id blocks) and
 * keeps the committed image every node applies. It owns the decisions; it must never perform I/O,
 * read a clock (time arrives in inputs) or draw randomness other than from its PRNG state.
 *
 * Heartbeats are not logged: like KRaft, the active controller keeps each broker's last heartbeat in
 * memory and logs only the outcome (FenceBroker, UnfenceBroker). A newly active controller gives every
 * broker a fresh session, so a failover never fences brokers that were healthy.
 */
import { invariant, unreachable } from "../invariant.ts";
import { type PrngState, prngNextU32 } from "../prng.ts";
import { decideCreateAcls, decideDeleteAcls } from "./acls.ts";
import { decideAlterBrokerConfigs } from "./broker-configs.ts";
import {
  changeForLostBroker,
  changeForOfflinePartition,
  partitionChange,
  sameMembers,
  uncleanAllowed,
} from "./election.ts";
import {
  aclsOf,
  applyBatch,
  applyToDraft,
  draftOf,
  emptyImage,
  findBroker,
  finishDraft,
  type ImageDraft,
  isLive,
  liveBrokerIds,
  nextProducerIdOf,
  partitionCount,
  scramCredentialsOf,
} from "./image.ts";
import { placeReplicas } from "./placement.ts";
import { decideAlterScramCredentials } from "./scram-credentials.ts";
import { decideAlterTopicConfigs } from "./topic-configs.ts";
import {
  type AlterPartitionRequest,
  type BrokerId,
  type BrokerListener,
  brokerListenersMax,
  brokersMax,
  type ControllerConfig,
  type ControllerError,
  type ControllerState,
  type CreatableTopic,
  defaultControllerConfig,
  type ElectionType,
  type Input,
  type MetadataImage,
  type MetadataRecord,
  noLeader,
  type PartitionState,
  partitionsMax,
  pendingBatchesMax,
  producerIdBlockSize,
  producerIdEndMax,
  type Ready,
  type Response,
  recordsPerBatchMax,
  requestItemsMax,
  type StepResult,
  securityProtocols,
  topicConfigsMax,
  topicNameBytesMax,
  topicsMax,
  uncleanLeaderElectionConfig,
} from "./types.ts";

export interface ControllerOptions {
  readonly prng: PrngState;
  readonly config?: Partial<ControllerConfig>;
  /** The image restored from the latest metadata snapshot, if any. */
  readonly image?: MetadataImage;
}

export function initialState(options: ControllerOptions): ControllerState {
  const config: ControllerConfig = { ...defaultControllerConfig, ...options.config };
  invariant(
    Number.isInteger(config.sessionTimeoutMs) && config.sessionTimeoutMs > 0,
    "controller: session timeout",
  );
  invariant(
    Number.isInteger(config.defaultPartitions) && config.defaultPartitions >= 1,
    "controller: num.partitions",
  );
  invariant(
    Number.isInteger(config.defaultReplicationFactor) && config.defaultReplicationFactor >= 1,
    "controller: default.replication.factor",
  );
  const image = options.image ?? emptyImage;
  return {
    config,
    image,
    latest: image,
    active: false,
    pending: [],
    sessions: {},
    nowMs: 0,
    prng: options.prng,
  };
}

/**
 * Records accumulate here while a request is decided; each is applied at once to a draft of the
 * image (made on the first record) so later decisions in the same batch see it.
 */
interface Builder {
  readonly base: MetadataImage;
  draft: ImageDraft | null;
  records: MetadataRecord[];
  prng: PrngState;
  readonly config: ControllerConfig;
}

/** The image as decided so far in this batch. */
function view(b: Builder): MetadataImage {
  return b.draft ?? b.base;
}

function emit(b: Builder, record: MetadataRecord): void {
  invariant(b.records.length < recordsPerBatchMax, "controller: batch over its limit");
  if (b.draft === null) b.draft = draftOf(b.base);
  applyToDraft(b.draft, record);
  b.records.push(record);
}

/**
 * The single entry point. Act on the Ready as its type documents: propose `records` as one entry,
 * and send `response` only once that entry has committed.
 */
export function step(state: ControllerState, input: Input): StepResult {
  if ("nowMs" in input) {
    // Time never goes back in here: an earlier reading (a wall clock stepped back, two clock sources)
    // counts as the latest one seen, which can only delay a session expiry, never cause one.
    invariant(Number.isFinite(input.nowMs), "controller: nowMs must be a finite number");
    if (input.nowMs < state.nowMs) return step(state, { ...input, nowMs: state.nowMs } as Input);
  }
  switch (input.type) {
    case "committed":
      return done(onCommitted(state, input.offset, input.records), [], null);
    case "restore":
      invariant(!state.active, "controller: an active controller never loads a snapshot");
      invariant(input.image.offset >= state.image.offset, "controller: snapshot older than the image");
      return done({ ...state, image: input.image, latest: input.image, pending: [] }, [], null);
    case "activate": {
      invariant(!state.active, "controller: activated twice");
      const sessions: Record<number, number> = {};
      for (const broker of state.image.brokers) sessions[broker.brokerId] = input.nowMs;
      const next = { ...state, active: true, latest: state.image, pending: [], sessions, nowMs: input.nowMs };
      return done(next, [], null);
    }
    case "deactivate":
      return done({ ...state, active: false, latest: state.image, pending: [], sessions: {} }, [], null);
    default:
      break;
  }
  const now = "nowMs" in input ? input.nowMs : state.nowMs;
  if (!state.active || state.pending.length >= pendingBatchesMax) {
    // A standby changes nothing but its clock (and often not even that: a standby ticks at the same time).
    return done(now === state.nowMs ? state : { ...state, nowMs: now }, [], notController(input));
  }
  const b: Builder = { base: state.latest, draft: null, records: [], prng: state.prng, config: state.config };
  const sessions: Sessions = { base: state.sessions, copy: null };
  let response: Response | null = null;
  switch (input.type) {
    case "tick":
      expireSessions(b, sessions, input.nowMs);
      break;
    case "registerBroker":
      response = registerBroker(b, sessions, input, input.nowMs);
      break;
    case "brokerHeartbeat":
      response = brokerHeartbeat(
        b,
        sessions,
        input.brokerId,
        input.brokerEpoch,
        input.wantFence,
        input.nowMs,
      );
      break;
    case "createTopics":
      response = { type: "createTopics", topics: createTopics(b, input.topics) };
      break;
    case "deleteTopics":
      response = { type: "deleteTopics", topics: deleteTopics(b, input.names) };
      break;
    case "createPartitions":
      response = { type: "createPartitions", topics: createPartitions(b, input.topics) };
      break;
    case "alterPartition":
      response = alterPartition(b, input);
      break;
    case "electLeaders":
      response = { type: "electLeaders", partitions: electLeaders(b, input.electionType, input.partitions) };
      break;
    case "allocateProducerIds":
      response = allocateProducerIds(b, input.brokerId, input.brokerEpoch);
      break;
    case "createAcls": {
      // The ACL rules live in acls.ts; the controller only proposes what they decide.
      const decision = decideCreateAcls(aclsOf(view(b)), input.acls);
      for (const record of decision.records) emit(b, record);
      response = { type: "createAcls", results: decision.results };
      break;
    }
    case "deleteAcls": {
      const decision = decideDeleteAcls(aclsOf(view(b)), input.filters);
      for (const record of decision.records) emit(b, record);
      response = { type: "deleteAcls", results: decision.results };
      break;
    }
    case "alterTopicConfigs": {
      // The rules live in topic-configs.ts; the controller only proposes what they decide.
      const decision = decideAlterTopicConfigs(view(b), input.topics, input.validateOnly);
      for (const record of decision.records) emit(b, record);
      response = { type: "alterTopicConfigs", topics: decision.results };
      break;
    }
    case "alterBrokerConfigs": {
      // The rules live in broker-configs.ts; the controller only proposes what they decide.
      const decision = decideAlterBrokerConfigs(view(b), input.resources, input.validateOnly);
      for (const record of decision.records) emit(b, record);
      response = { type: "alterBrokerConfigs", resources: decision.results };
      break;
    }
    case "alterUserScramCredentials": {
      // The rules live in scram-credentials.ts; the controller only proposes what they decide.
      const decision = decideAlterScramCredentials(
        scramCredentialsOf(view(b)),
        input.deletions,
        input.upsertions,
      );
      for (const record of decision.records) emit(b, record);
      response = { type: "alterUserScramCredentials", results: decision.results };
      break;
    }
    default:
      unreachable(input, "controller input");
  }
  const pending = b.records.length > 0 ? [...state.pending, b.records] : state.pending;
  const latest = b.draft === null ? state.latest : finishDraft(b.draft);
  const next: ControllerState = {
    ...state,
    latest,
    prng: b.prng,
    sessions: sessions.copy ?? state.sessions,
    pending,
    nowMs: now,
  };
  return done(next, b.records, response);
}

function done(
  state: ControllerState,
  records: readonly MetadataRecord[],
  response: Response | null,
): StepResult {
  invariant(records.length <= recordsPerBatchMax, "controller: batch over its limit");
  invariant(state.pending.length <= pendingBatchesMax, "controller: too many pending batches");
  invariant(state.active || state.pending.length === 0, "controller: a standby has pending batches");
  invariant(
    state.active || state.latest === state.image,
    "controller: a standby decides on uncommitted state",
  );
  invariant(state.latest.brokers.length <= brokersMax, "controller: too many brokers");
  const ready: Ready = { records, response };
  return { state, ready };
}

function onCommitted(
  state: ControllerState,
  offset: number,
  records: readonly MetadataRecord[],
): ControllerState {
  const image = applyBatch(state.image, offset, records);
  if (!state.active) return { ...state, image, latest: image };
  const head = state.pending[0];
  if (head !== undefined && sameRecords(head, records)) {
    const pending = state.pending.slice(1);
    // With nothing in flight, deciding on `latest` must be deciding on the committed image.
    return { ...state, image, pending, latest: pending.length === 0 ? image : state.latest };
  }
  // A batch this controller did not propose committed: another node led since. Stand down; the shell
  // should have said so first, and acting on a stale `latest` could contradict the new leader.
  return { ...state, image, latest: image, pending: [], active: false, sessions: {} };
}

function sameRecords(a: readonly MetadataRecord[], b: readonly MetadataRecord[]): boolean {
  // The very batch this controller proposed (a shell that hands entries through unchanged) is equal
  // without serialising it; otherwise the records are compared by content.
  if (a === b) return true;
  return a.length === b.length && a.every((r, i) => JSON.stringify(r) === JSON.stringify(b[i]));
}

function notController(input: Input): Response | null {
  switch (input.type) {
    case "registerBroker":
      return { type: "registerBroker", error: "NOT_CONTROLLER", brokerEpoch: -1 };
    case "brokerHeartbeat":
      return { type: "brokerHeartbeat", error: "NOT_CONTROLLER", isFenced: true };
    case "createTopics":
      return {
        type: "createTopics",
        topics: input.topics.map((t) => ({ name: t.name, error: "NOT_CONTROLLER", topicId: null })),
      };
    case "deleteTopics":
      return { type: "deleteTopics", topics: input.names.map((name) => ({ name, error: "NOT_CONTROLLER" })) };
    case "createPartitions":
      return {
        type: "createPartitions",
        topics: input.topics.map((t) => ({ name: t.name, error: "NOT_CONTROLLER" })),
      };
    case "alterPartition":
      return { type: "alterPartition", error: "NOT_CONTROLLER", partition: null };
    case "electLeaders":
      return {
        type: "electLeaders",
        partitions: input.partitions.map((p) => ({ ...p, error: "NOT_CONTROLLER" as const })),
      };
    case "allocateProducerIds":
      return { type: "allocateProducerIds", error: "NOT_CONTROLLER", firstProducerId: -1, size: 0 };
    case "createAcls":
      return { type: "createAcls", results: input.acls.map(() => ({ error: "NOT_CONTROLLER" as const })) };
    case "deleteAcls":
      return {
        type: "deleteAcls",
        results: input.filters.map(() => ({ error: "NOT_CONTROLLER" as const, acls: [] })),
      };
    case "alterTopicConfigs":
      return {
        type: "alterTopicConfigs",
        topics: input.topics.map((t) => ({ name: t.name, error: "NOT_CONTROLLER" as const, message: null })),
      };
    case "alterBrokerConfigs":
      return {
        type: "alterBrokerConfigs",
        resources: input.resources.map((r) => ({
          name: r.name,
          error: "NOT_CONTROLLER" as const,
          message: null,
        })),
      };
    case "alterUserScramCredentials":
      return {
        type: "alterUserScramCredentials",
        results: [...new Set([...input.deletions, ...input.upsertions].map((c) => String(c.name)))].map(
          (name) => ({ name, error: "NOT_CONTROLLER" as const, message: null }),
        ),
      };
    default:
      return null;
  }
}

// ---- Brokers ----

/** Moves leadership and ISR membership off a broker, then fences it. */
function fenceBroker(b: Builder, brokerId: BrokerId): void {
  const broker = findBroker(view(b), brokerId);
  invariant(broker !== undefined && !broker.fenced, "controller: fencing a broker that is not live");
  for (const topic of Object.values(view(b).topics)) {
    for (const p of topic.partitions) {
      if (!p.replicas.includes(brokerId)) continue;
      const change = changeForLostBroker(view(b), topic, p, brokerId, b.config);
      if (change !== null) emit(b, change);
    }
  }
  emit(b, { type: "FenceBroker", brokerId, brokerEpoch: broker.brokerEpoch });
}

/** Unfences a broker, then brings back the offline partitions it can lead. */
function unfenceBroker(b: Builder, brokerId: BrokerId): void {
  const broker = findBroker(view(b), brokerId);
  invariant(broker?.fenced, "controller: unfencing a live broker");
  emit(b, { type: "UnfenceBroker", brokerId, brokerEpoch: broker.brokerEpoch });
  for (const topic of Object.values(view(b).topics)) {
    for (const p of topic.partitions) {
      if (p.leader !== noLeader || !p.replicas.includes(brokerId)) continue;
      const change = changeForOfflinePartition(view(b), topic, p, uncleanAllowed(topic, b.config));
      if (change !== null) emit(b, change);
    }
  }
}

/**
 * The broker sessions as one step changes them: copied on the first change only (most ticks change
 * none), so an unchanged record is shared with the state the step started from.
 */
interface Sessions {
  readonly base: Readonly<Record<number, number>>;
  copy: Record<number, number> | null;
}

function sessionOf(sessions: Sessions, brokerId: BrokerId): number | undefined {
  return (sessions.copy ?? sessions.base)[brokerId];
}

function setSession(sessions: Sessions, brokerId: BrokerId, nowMs: number): void {
  if (sessions.copy === null) sessions.copy = { ...sessions.base };
  sessions.copy[brokerId] = nowMs;
}

function expireSessions(b: Builder, sessions: Sessions, nowMs: number): void {
  for (const broker of view(b).brokers) {
    if (broker.fenced) continue;
    const last = sessionOf(sessions, broker.brokerId);
    if (last === undefined) {
      setSession(sessions, broker.brokerId, nowMs);
      continue;
    }
    if (nowMs - last > b.config.sessionTimeoutMs) fenceBroker(b, broker.brokerId);
  }
}

function registerBroker(
  b: Builder,
  sessions: Sessions,
  input: Extract<Input, { type: "registerBroker" }>,
  nowMs: number,
): Response {
  const { brokerId, host, port, rack, listeners } = input;
  const prior = findBroker(view(b), brokerId);
  const validId = Number.isInteger(brokerId) && brokerId >= 0 && brokerId <= 0x7fffffff;
  if (
    !validId ||
    !validAddress(host, port) ||
    (listeners !== undefined && !validListeners(listeners)) ||
    (prior === undefined && view(b).brokers.length >= brokersMax)
  ) {
    return { type: "registerBroker", error: "INVALID_REQUEST", brokerEpoch: -1 };
  }
  // A broker registering again is a new incarnation: the old one's leaderships end first.
  if (prior !== undefined && !prior.fenced) fenceBroker(b, brokerId);
  const brokerEpoch = (prior?.brokerEpoch ?? 0) + 1;
  // The record names listeners only when the broker sent them, so registrations without them (the
  // simulator's) record exactly what they always did.
  emit(b, {
    type: "RegisterBroker",
    brokerId,
    brokerEpoch,
    host,
    port,
    rack,
    ...(listeners === undefined ? {} : { listeners: listeners.map((l) => ({ ...l })) }),
  });
  setSession(sessions, brokerId, nowMs);
  return { type: "registerBroker", error: "NONE", brokerEpoch };
}

function validAddress(host: string, port: number): boolean {
  return host.length > 0 && Number.isInteger(port) && port > 0 && port < 65536;
}

/** Kafka refuses a registration naming one listener twice (DuplicateBrokerRegistration aside). */
function validListeners(listeners: readonly BrokerListener[]): boolean {
  if (listeners.length === 0 || listeners.length > brokerListenersMax) return false;
  const names = new Set<string>();
  for (const listener of listeners) {
    if (listener.name.length === 0 || names.has(listener.name)) return false;
    if (!validAddress(listener.host, listener.port)) return false;
    if (!securityProtocols.includes(listener.securityProtocol)) return false;
    names.add(listener.name);
  }
  invariant(names.size === listeners.length, "controller: listener names counted");
  return true;
}

function brokerHeartbeat(
  b: Builder,
  sessions: Sessions,
  brokerId: BrokerId,
  brokerEpoch: number,
  wantFence: boolean,
  nowMs: number,
): Response {
  const broker = findBroker(view(b), brokerId);
  if (broker === undefined)
    return { type: "brokerHeartbeat", error: "BROKER_ID_NOT_REGISTERED", isFenced: true };
  if (broker.brokerEpoch !== brokerEpoch)
    return { type: "brokerHeartbeat", error: "STALE_BROKER_EPOCH", isFenced: true };
  setSession(sessions, brokerId, nowMs);
  if (broker.fenced && !wantFence) unfenceBroker(b, brokerId);
  else if (!broker.fenced && wantFence) fenceBroker(b, brokerId);
  const after = findBroker(view(b), brokerId);
  invariant(
    after !== undefined && after.fenced === wantFence,
    "controller: heartbeat left the wrong fencing",
  );
  return { type: "brokerHeartbeat", error: "NONE", isFenced: after.fenced };
}

// ---- Topics ----

const topicNamePattern = /^[a-zA-Z0-9._-]+$/;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function validTopicName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= topicNameBytesMax &&
    topicNamePattern.test(name) &&
    name !== "." &&
    name !== ".."
  );
}

/** A version-4 style UUID drawn from the PRNG, unique among the image's topics. */
function drawTopicId(b: Builder): string {
  const taken = new Set(Object.values(view(b).topics).map((t) => t.topicId));
  for (let attempt = 0; attempt < 8; attempt++) {
    const words: number[] = [];
    for (let k = 0; k < 4; k++) {
      const [u, next] = prngNextU32(b.prng);
      b.prng = next;
      words.push(u);
    }
    words[1] = ((words[1]! & 0xffff0fff) | 0x00004000) >>> 0;
    words[2] = ((words[2]! & 0x3fffffff) | 0x80000000) >>> 0;
    const hex = words.map((w) => w.toString(16).padStart(8, "0")).join("");
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    if (!taken.has(id)) return id;
  }
  invariant(false, "controller: could not draw a fresh topic id");
}

function validConfigs(configs: Readonly<Record<string, string>>): boolean {
  const entries = Object.entries(configs);
  if (entries.length > topicConfigsMax) return false;
  const unclean = configs[uncleanLeaderElectionConfig];
  return unclean === undefined || unclean === "true" || unclean === "false";
}

function initialPartitions(assignment: readonly (readonly BrokerId[])[], first: number): PartitionState[] {
  return assignment.map((replicas, k) => ({
    partition: first + k,
    replicas: [...replicas],
    isr: [...replicas],
    leader: replicas[0]!,
    leaderEpoch: 0,
    partitionEpoch: 0,
  }));
}

function createTopics(
  b: Builder,
  topics: readonly CreatableTopic[],
): { name: string; error: ControllerError; topicId: string | null }[] {
  const tooMany = topics.length > requestItemsMax;
  const counts = new Map<string, number>();
  for (const t of topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  return topics.map((requested) => {
    const t: CreatableTopic = {
      ...requested,
      partitions: requested.partitions === -1 ? b.config.defaultPartitions : requested.partitions,
      replicationFactor:
        requested.replicationFactor === -1 ? b.config.defaultReplicationFactor : requested.replicationFactor,
    };
    const fail = (error: ControllerError) => ({ name: t.name, error, topicId: null });
    if (tooMany || counts.get(t.name)! > 1) return fail("INVALID_REQUEST");
    if (!validTopicName(t.name)) return fail("INVALID_TOPIC_EXCEPTION");
    if (view(b).topics[t.name] !== undefined) return fail("TOPIC_ALREADY_EXISTS");
    const configs = t.configs ?? {};
    if (!validConfigs(configs)) return fail("INVALID_CONFIG");
    if (Object.keys(view(b).topics).length >= topicsMax) return fail("POLICY_VIOLATION");
    if (Number.isInteger(t.partitions) && partitionCount(view(b)) + t.partitions > partitionsMax) {
      return fail("INVALID_PARTITIONS");
    }
    if (t.topicId !== undefined) {
      if (!uuidPattern.test(t.topicId) || /^[0-]+$/.test(t.topicId)) return fail("INVALID_REQUEST");
      if (Object.values(view(b).topics).some((x) => x.topicId === t.topicId))
        return fail("TOPIC_ALREADY_EXISTS");
    }
    const placement = placeReplicas(liveBrokerIds(view(b)), t.partitions, t.replicationFactor);
    if (!placement.ok) return fail(placement.error);
    const topicId = t.topicId ?? drawTopicId(b);
    emit(b, {
      type: "CreateTopic",
      name: t.name,
      topicId,
      configs: { ...configs },
      partitions: initialPartitions(placement.assignment, 0),
    });
    return { name: t.name, error: "NONE", topicId };
  });
}

function deleteTopics(b: Builder, names: readonly string[]): { name: string; error: ControllerError }[] {
  const tooMany = names.length > requestItemsMax;
  return names.map((name) => {
    if (tooMany) return { name, error: "INVALID_REQUEST" };
    const topic = view(b).topics[name];
    if (topic === undefined) return { name, error: "UNKNOWN_TOPIC_OR_PARTITION" };
    emit(b, { type: "DeleteTopic", name, topicId: topic.topicId });
    return { name, error: "NONE" };
  });
}

function createPartitions(
  b: Builder,
  topics: readonly { name: string; count: number }[],
): { name: string; error: ControllerError }[] {
  const tooMany = topics.length > requestItemsMax;
  return topics.map(({ name, count }) => {
    if (tooMany) return { name, error: "INVALID_REQUEST" };
    const topic = view(b).topics[name];
    if (topic === undefined) return { name, error: "UNKNOWN_TOPIC_OR_PARTITION" };
    const current = topic.partitions.length;
    if (!Number.isInteger(count) || count <= current) return { name, error: "INVALID_PARTITIONS" };
    if (partitionCount(view(b)) + count - current > partitionsMax)
      return { name, error: "INVALID_PARTITIONS" };
    const replicationFactor = topic.partitions[0]!.replicas.length;
    const placement = placeReplicas(liveBrokerIds(view(b)), count - current, replicationFactor, current);
    if (!placement.ok) return { name, error: placement.error };
    emit(b, {
      type: "CreatePartitions",
      name,
      topicId: topic.topicId,
      partitions: initialPartitions(placement.assignment, current),
    });
    return { name, error: "NONE" };
  });
}

// ---- Partitions ----

function alterPartition(b: Builder, request: AlterPartitionRequest): Response {
  const fail = (error: ControllerError): Response => ({ type: "alterPartition", error, partition: null });
  const broker = findBroker(view(b), request.brokerId);
  if (broker === undefined) return fail("BROKER_ID_NOT_REGISTERED");
  if (broker.brokerEpoch !== request.brokerEpoch) return fail("STALE_BROKER_EPOCH");
  const topic = view(b).topics[request.topic];
  const p = topic?.partitions[request.partition];
  if (topic === undefined || p === undefined) return fail("UNKNOWN_TOPIC_OR_PARTITION");
  if (p.leader !== request.brokerId) return fail("NOT_LEADER_OR_FOLLOWER");
  if (request.leaderEpoch !== p.leaderEpoch) return fail("FENCED_LEADER_EPOCH");
  if (request.partitionEpoch !== p.partitionEpoch) return fail("INVALID_UPDATE_VERSION");
  const isr = request.isr;
  const wellFormed =
    isr.length >= 1 &&
    isr.length <= p.replicas.length &&
    new Set(isr).size === isr.length &&
    isr.includes(p.leader) &&
    isr.every((r) => p.replicas.includes(r));
  if (!wellFormed) return fail("INVALID_REQUEST");
  // Only live brokers may join; members already in the ISR may stay while the leader decides.
  if (isr.some((r) => !p.isr.includes(r) && !isLive(view(b), r))) return fail("INELIGIBLE_REPLICA");
  if (sameMembers(isr, p.isr)) return { type: "alterPartition", error: "NONE", partition: p };
  emit(b, partitionChange(topic, p, p.leader, isr, false));
  const after = view(b).topics[request.topic]!.partitions[request.partition]!;
  invariant(
    after.partitionEpoch === p.partitionEpoch + 1,
    "controller: ISR change did not bump the partition epoch",
  );
  return { type: "alterPartition", error: "NONE", partition: after };
}

function electLeaders(
  b: Builder,
  electionType: ElectionType,
  partitions: readonly { topic: string; partition: number }[],
): { topic: string; partition: number; error: ControllerError }[] {
  const tooMany = partitions.length > requestItemsMax;
  return partitions.map(({ topic: name, partition }) => {
    const result = (error: ControllerError) => ({ topic: name, partition, error });
    if (tooMany) return result("INVALID_REQUEST");
    const topic = view(b).topics[name];
    const p = topic?.partitions[partition];
    if (topic === undefined || p === undefined) return result("UNKNOWN_TOPIC_OR_PARTITION");
    if (electionType === "preferred") {
      const preferred = p.replicas[0]!;
      if (p.leader === preferred) return result("ELECTION_NOT_NEEDED");
      if (!p.isr.includes(preferred) || !isLive(view(b), preferred))
        return result("PREFERRED_LEADER_NOT_AVAILABLE");
      emit(b, partitionChange(topic, p, preferred, p.isr, false));
      return result("NONE");
    }
    if (p.leader !== noLeader) return result("ELECTION_NOT_NEEDED");
    // An explicit unclean election request allows it for this partition whatever the config says.
    const change = changeForOfflinePartition(view(b), topic, p, true);
    if (change === null) return result("ELIGIBLE_LEADERS_NOT_AVAILABLE");
    emit(b, change);
    return result("NONE");
  });
}

// ---- Producer ids ----

/**
 * Hands a registered broker the next block of producer ids (Kafka's ProducerIdControlManager). The
 * block is answered only once its ProducerIds record has committed, and every later decision sees
 * the cursor past it (pending batches included), so no two blocks ever share an id, across
 * controller failovers too: the cursor lives in the replicated image, not in a controller's memory.
 */
function allocateProducerIds(b: Builder, brokerId: BrokerId, brokerEpoch: number): Response {
  const fail = (error: ControllerError): Response => ({
    type: "allocateProducerIds",
    error,
    firstProducerId: -1,
    size: 0,
  });
  // A broker that restarted (or was replaced) since it asked gets nothing: as AlterPartition.
  const broker = findBroker(view(b), brokerId);
  if (broker === undefined) return fail("BROKER_ID_NOT_REGISTERED");
  if (broker.brokerEpoch !== brokerEpoch) return fail("STALE_BROKER_EPOCH");
  const first = nextProducerIdOf(view(b));
  // Kafka answers an exhausted id space with UNKNOWN_SERVER_ERROR; nothing is recorded then.
  if (first > producerIdEndMax - producerIdBlockSize) return fail("UNKNOWN_SERVER_ERROR");
  emit(b, { type: "ProducerIds", brokerId, brokerEpoch, nextProducerId: first + producerIdBlockSize });
  invariant(
    nextProducerIdOf(view(b)) === first + producerIdBlockSize,
    "controller: the producer-id cursor did not move past the block",
  );
  return { type: "allocateProducerIds", error: "NONE", firstProducerId: first, size: producerIdBlockSize };
}
