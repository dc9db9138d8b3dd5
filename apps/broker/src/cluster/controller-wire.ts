/**
 * The four requests a broker sends the active controller as Kafka sends them (KRaft): BrokerRegistration
 * (api 62), BrokerHeartbeat (63), AlterPartition (56) and AllocateProducerIds (67). This module maps the
 * core controller's inputs and responses to those messages and back, in both directions:
 *
 * - the broker's side: `controllerRequestOf(input)` gives the Kafka request for an input, and
 *   `controllerResponseOf(input, body)` reads the controller's answer back into the core's response;
 * - the controller's side: `registrationInputOf`, `heartbeatInputOf`, `alterPartitionItemsOf` and
 *   `allocationInputOf` check a decoded request and give the inputs it asks for (or the error Kafka
 *   answers), and the `*Body` functions give the response body for the core's answer.
 *
 * Owns: field-by-field mappings, the topic id's two spellings (the core's hyphenated text, Kafka's
 * base64url), the security protocols' wire ids and the checks of what a request says before it reaches
 * the core. Must never do I/O or read a clock (the controller's time arrives as `nowMs`), and must never
 * hand the core an input built from a field it did not check.
 */
import { controller } from "@eddy/core";
import {
  type AllocateProducerIdsRequest,
  type AllocateProducerIdsRequestInput,
  type AllocateProducerIdsResponse,
  type AllocateProducerIdsResponseInput,
  type AlterPartitionRequest,
  type AlterPartitionRequestInput,
  type AlterPartitionResponse,
  type AlterPartitionResponseInput,
  type AlterPartitionResponsePartitionDataInput,
  ApiKey,
  type BrokerHeartbeatRequest,
  type BrokerHeartbeatRequestInput,
  type BrokerHeartbeatResponse,
  type BrokerHeartbeatResponseInput,
  type BrokerRegistrationRequest,
  type BrokerRegistrationRequestInput,
  type BrokerRegistrationResponse,
  type BrokerRegistrationResponseInput,
  ErrorCode,
  errorCodeName,
  uuidFromBytes,
  uuidToBytes,
  uuidZero,
} from "@eddy/protocol";

/**
 * The versions a broker sends, the newest of each that Kafka 3.7 and later brokers send: AlterPartition
 * v3 names topics by id and ISR members with their broker epochs (KIP-903); BrokerRegistration v4 and
 * BrokerHeartbeat v1 are the newest in the specs.
 */
export const sentVersions: Readonly<Record<ControllerRequest["apiKey"], number>> = {
  [ApiKey.BrokerRegistration]: 4,
  [ApiKey.BrokerHeartbeat]: 1,
  [ApiKey.AlterPartition]: 3,
  [ApiKey.AllocateProducerIds]: 0,
};

/** The controller inputs that travel as Kafka requests; the rest stay on Eddy's internal message. */
export type WireInput = Extract<
  controller.Input,
  { type: "registerBroker" | "brokerHeartbeat" | "alterPartition" | "allocateProducerIds" }
>;

export function isWireInput(input: controller.Input): input is WireInput {
  return (
    input.type === "registerBroker" ||
    input.type === "brokerHeartbeat" ||
    input.type === "alterPartition" ||
    input.type === "allocateProducerIds"
  );
}

/** One listener as a registration carries it (the core's `BrokerListener` once it has one). */
export interface WireListener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: WireSecurityProtocol;
}

/** Kafka's SecurityProtocol ids (`org.apache.kafka.common.security.auth.SecurityProtocol`). */
const securityProtocolIds = {
  PLAINTEXT: 0,
  SSL: 1,
  SASL_PLAINTEXT: 2,
  SASL_SSL: 3,
} as const;

export type WireSecurityProtocol = keyof typeof securityProtocolIds;

function isSecurityProtocol(name: string): name is WireSecurityProtocol {
  return Object.hasOwn(securityProtocolIds, name);
}

/** What a broker adds to its requests beyond the core's input: who it is and what it knows. */
export interface SenderContext {
  /** The cluster id of this node's `meta.properties`; a controller of another cluster refuses it. */
  readonly clusterId: string;
  /** This process's incarnation (Kafka's IncarnationId), a base64url UUID drawn at start. */
  readonly incarnationId: string;
  /** The listener a registration without listeners names its host and port by. */
  readonly listener: { readonly name: string; readonly securityProtocol: string };
  /** The broker's committed image: its offset (heartbeats) and topic ids (AlterPartition). */
  readonly image: controller.MetadataImage;
}

export type ControllerRequest =
  | { readonly apiKey: typeof ApiKey.BrokerRegistration; readonly body: BrokerRegistrationRequestInput }
  | { readonly apiKey: typeof ApiKey.BrokerHeartbeat; readonly body: BrokerHeartbeatRequestInput }
  | { readonly apiKey: typeof ApiKey.AlterPartition; readonly body: AlterPartitionRequestInput }
  | { readonly apiKey: typeof ApiKey.AllocateProducerIds; readonly body: AllocateProducerIdsRequestInput };

export class ControllerWireError extends Error {
  override readonly name = "ControllerWireError";
}

// -------------------------------------------------------------------------------------------------
// Topic ids: the core writes `8-4-4-4-12` lower-case hex, Kafka's wire 16 bytes shown as base64url.
// -------------------------------------------------------------------------------------------------

const hyphenatedUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The core's topic id in Kafka's wire spelling; throws `ControllerWireError` for anything else. */
export function topicIdToWire(topicId: string): string {
  if (!hyphenatedUuid.test(topicId)) throw new ControllerWireError(`topic id ${topicId} is not a UUID`);
  const hex = topicId.replaceAll("-", "");
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return uuidFromBytes(bytes);
}

/** Kafka's wire spelling of a topic id in the core's; throws `ControllerWireError` when it is not one. */
export function topicIdFromWire(uuid: string): string {
  let bytes: Uint8Array;
  try {
    bytes = uuidToBytes(uuid);
  } catch (error) {
    throw new ControllerWireError(`topic id ${uuid}: ${(error as Error).message}`);
  }
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A fresh incarnation id (Kafka's `Uuid.randomUuid()`), never the zero UUID. */
export function newIncarnationId(): string {
  for (;;) {
    const id = uuidFromBytes(crypto.getRandomValues(new Uint8Array(16)));
    if (id !== uuidZero) return id;
  }
}

// -------------------------------------------------------------------------------------------------
// The broker's side: an input to a request, and the answer back to the core's response.
// -------------------------------------------------------------------------------------------------

/** The Kafka request for `input`; throws `ControllerWireError` when the input cannot be said on the wire. */
export function controllerRequestOf(input: WireInput, context: SenderContext): ControllerRequest {
  switch (input.type) {
    case "registerBroker":
      return {
        apiKey: ApiKey.BrokerRegistration,
        body: {
          brokerId: input.brokerId,
          clusterId: context.clusterId,
          incarnationId: context.incarnationId,
          listeners: registrationListeners(input, context).map((l) => ({
            name: l.name,
            host: l.host,
            port: l.port,
            securityProtocol: securityProtocolIds[l.securityProtocol],
          })),
          // The controller keeps no feature levels (no metadata.version): nothing to negotiate.
          features: [],
          rack: input.rack,
          isMigratingZkBroker: false,
          logDirs: [],
          previousBrokerEpoch: -1n,
        },
      };
    case "brokerHeartbeat":
      return {
        apiKey: ApiKey.BrokerHeartbeat,
        body: {
          brokerId: input.brokerId,
          brokerEpoch: BigInt(input.brokerEpoch),
          currentMetadataOffset: BigInt(context.image.offset),
          // The core's one flag: fenced on request. A controlled shutdown asks both, as Kafka's broker
          // does once it has caught up; the core reads either as "fence me".
          wantFence: input.wantFence,
          wantShutDown: input.wantFence,
        },
      };
    case "alterPartition": {
      const topic = context.image.topics[input.topic];
      if (topic === undefined)
        throw new ControllerWireError(
          `AlterPartition for ${input.topic}: the topic is not in this broker's image`,
        );
      return {
        apiKey: ApiKey.AlterPartition,
        body: {
          brokerId: input.brokerId,
          brokerEpoch: BigInt(input.brokerEpoch),
          topics: [
            {
              // v3 (`sentVersions`): the topic by id, the ISR with epochs (NewIsr is v0-2 only).
              topicId: topicIdToWire(topic.topicId),
              partitions: [
                {
                  partitionIndex: input.partition,
                  leaderEpoch: input.leaderEpoch,
                  // -1: this broker does not track its followers' broker epochs ("the epoch check is
                  // not supported", as the spec allows).
                  newIsrWithEpochs: input.isr.map((brokerId) => ({ brokerId, brokerEpoch: -1n })),
                  leaderRecoveryState: 0,
                  partitionEpoch: input.partitionEpoch,
                },
              ],
            },
          ],
        },
      };
    }
    case "allocateProducerIds":
      return {
        apiKey: ApiKey.AllocateProducerIds,
        body: { brokerId: input.brokerId, brokerEpoch: BigInt(input.brokerEpoch) },
      };
  }
}

/**
 * The listeners a registration carries: the input's own when it names them (the one at its host and
 * port first, so the controller reads the inter-broker address from the first), else the one listener
 * its host and port belong to.
 */
function registrationListeners(
  input: Extract<controller.Input, { type: "registerBroker" }>,
  context: SenderContext,
): readonly WireListener[] {
  const named = input.listeners;
  if (named === undefined || named.length === 0) {
    const securityProtocol = context.listener.securityProtocol;
    if (!isSecurityProtocol(securityProtocol))
      throw new ControllerWireError(
        `listener ${context.listener.name}: unknown security protocol ${securityProtocol}`,
      );
    return [
      {
        name: context.listener.name,
        host: input.host,
        port: input.port,
        securityProtocol,
      },
    ];
  }
  const first = named.findIndex((l) => l.host === input.host && l.port === input.port);
  if (first < 0) throw new ControllerWireError(`registration: no listener is at ${input.host}:${input.port}`);
  return [named[first]!, ...named.filter((_, i) => i !== first)];
}

/** The controller's error by Kafka's name, in the core's terms; a code the core has no name for is logged by the caller. */
function errorOf(code: number): controller.ControllerError {
  const name = errorCodeName(code);
  return (knownErrors.has(name) ? name : "UNKNOWN_SERVER_ERROR") as controller.ControllerError;
}

const knownErrors = new Set<string>([
  "NONE",
  "NOT_CONTROLLER",
  "INVALID_REQUEST",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "BROKER_ID_NOT_REGISTERED",
  "STALE_BROKER_EPOCH",
  "NOT_LEADER_OR_FOLLOWER",
  "FENCED_LEADER_EPOCH",
  "INVALID_UPDATE_VERSION",
  "INELIGIBLE_REPLICA",
  "UNKNOWN_SERVER_ERROR",
]);

/** What the broker learns from an answer: the core's response, or that the node asked is not the controller. */
export type ControllerAnswer =
  | { readonly notController: true; readonly errorName: "NOT_CONTROLLER" }
  | {
      readonly notController: false;
      readonly response: controller.Response;
      /** Kafka's name of the error the wire carried (INCONSISTENT_CLUSTER_ID has no core name). */
      readonly errorName: string;
    };

export type ControllerResponseBody =
  | BrokerRegistrationResponse
  | BrokerHeartbeatResponse
  | AlterPartitionResponse
  | AllocateProducerIdsResponse;

/** Reads the controller's answer to `input` back into the core's response. */
export function controllerResponseOf(input: WireInput, body: ControllerResponseBody): ControllerAnswer {
  const refused = (code: number): ControllerAnswer | null =>
    code === ErrorCode.NOT_CONTROLLER ? { notController: true, errorName: "NOT_CONTROLLER" } : null;
  const done = (response: controller.Response, code: number): ControllerAnswer => ({
    notController: false,
    response,
    errorName: errorCodeName(code),
  });
  switch (input.type) {
    case "registerBroker": {
      const b = body as BrokerRegistrationResponse;
      const brokerEpoch = b.errorCode === ErrorCode.NONE ? safeNumber(b.brokerEpoch, "BrokerEpoch") : -1;
      return (
        refused(b.errorCode) ??
        done({ type: "registerBroker", error: errorOf(b.errorCode), brokerEpoch }, b.errorCode)
      );
    }
    case "brokerHeartbeat": {
      const b = body as BrokerHeartbeatResponse;
      return (
        refused(b.errorCode) ??
        done({ type: "brokerHeartbeat", error: errorOf(b.errorCode), isFenced: b.isFenced }, b.errorCode)
      );
    }
    case "allocateProducerIds": {
      const b = body as AllocateProducerIdsResponse;
      const ok = b.errorCode === ErrorCode.NONE;
      return (
        refused(b.errorCode) ??
        done(
          {
            type: "allocateProducerIds",
            error: errorOf(b.errorCode),
            firstProducerId: ok ? safeNumber(b.producerIdStart, "ProducerIdStart") : -1,
            size: ok ? b.producerIdLen : 0,
          },
          b.errorCode,
        )
      );
    }
    case "alterPartition": {
      const b = body as AlterPartitionResponse;
      const top = refused(b.errorCode);
      if (top !== null) return top;
      if (b.errorCode !== ErrorCode.NONE)
        return done({ type: "alterPartition", error: errorOf(b.errorCode), partition: null }, b.errorCode);
      const p = b.topics[0]?.partitions.find((x) => x.partitionIndex === input.partition);
      if (b.topics.length !== 1 || p === undefined)
        throw new ControllerWireError(
          `AlterPartition answer does not name ${input.topic}-${input.partition}`,
        );
      const partitionRefused = refused(p.errorCode);
      if (partitionRefused !== null) return partitionRefused;
      if (p.errorCode !== ErrorCode.NONE)
        return done({ type: "alterPartition", error: errorOf(p.errorCode), partition: null }, p.errorCode);
      return done(
        {
          type: "alterPartition",
          error: "NONE",
          // The answer names the partition's state after the change; its replicas are unchanged by it.
          partition: {
            partition: p.partitionIndex,
            replicas: [],
            isr: [...p.isr],
            leader: p.leaderId,
            leaderEpoch: p.leaderEpoch,
            partitionEpoch: p.partitionEpoch,
          },
        },
        p.errorCode,
      );
    }
  }
}

function safeNumber(value: bigint, field: string): number {
  if (value < BigInt(Number.MIN_SAFE_INTEGER) || value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new ControllerWireError(`${field} ${value} is outside the numbers this broker holds exactly`);
  return Number(value);
}

// -------------------------------------------------------------------------------------------------
// The controller's side: a request to the inputs it asks for, and the core's answer to a response.
// -------------------------------------------------------------------------------------------------

/** A request the controller refuses before the core sees it, with Kafka's error. */
export interface Refusal {
  readonly refused: number;
  readonly why: string;
}

function refusal(code: number, why: string): Refusal {
  return { refused: code, why };
}

function epochOf(value: bigint): number | null {
  return value >= -1n && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : null;
}

/** The registration input a BrokerRegistration asks for, or Kafka's refusal. */
export function registrationInputOf(
  request: BrokerRegistrationRequest,
  clusterId: string,
  nowMs: number,
): Extract<controller.Input, { type: "registerBroker" }> | Refusal {
  if (request.clusterId !== clusterId)
    return refusal(
      ErrorCode.INCONSISTENT_CLUSTER_ID,
      `cluster id ${request.clusterId} is not this cluster's (${clusterId})`,
    );
  if (request.brokerId < 0)
    return refusal(ErrorCode.INVALID_REQUEST, `broker id ${request.brokerId} is negative`);
  if (request.listeners.length === 0 || request.listeners.length > controller.brokerListenersMax)
    return refusal(
      ErrorCode.INVALID_REQUEST,
      `${request.listeners.length} listeners (1..${controller.brokerListenersMax} are accepted)`,
    );
  const listeners: WireListener[] = [];
  for (const l of request.listeners) {
    const securityProtocol = (Object.keys(securityProtocolIds) as WireSecurityProtocol[]).find(
      (k) => securityProtocolIds[k] === l.securityProtocol,
    );
    if (securityProtocol === undefined)
      return refusal(
        ErrorCode.INVALID_REQUEST,
        `listener ${l.name}: unknown security protocol id ${l.securityProtocol}`,
      );
    if (l.name.length === 0 || l.host.length === 0 || l.port < 1)
      return refusal(
        ErrorCode.INVALID_REQUEST,
        `listener ${JSON.stringify(l.name)} at ${l.host}:${l.port} is no address`,
      );
    if (listeners.some((x) => x.name === l.name))
      return refusal(ErrorCode.INVALID_REQUEST, `listener ${l.name} is named twice`);
    listeners.push({ name: l.name, host: l.host, port: l.port, securityProtocol });
  }
  const first = listeners[0]!;
  // The first listener is the address other nodes reach the broker at (the sender puts it first);
  // the core records the whole list beside it.
  return {
    type: "registerBroker",
    nowMs,
    brokerId: request.brokerId,
    host: first.host,
    port: first.port,
    rack: request.rack,
    listeners,
  };
}

export function registrationBody(
  response: controller.Response | null,
  error: number,
): BrokerRegistrationResponseInput {
  const epoch = response?.type === "registerBroker" && error === ErrorCode.NONE ? response.brokerEpoch : -1;
  return { throttleTimeMs: 0, errorCode: error, brokerEpoch: BigInt(epoch) };
}

/** The heartbeat input a BrokerHeartbeat asks for, or Kafka's refusal. */
export function heartbeatInputOf(
  request: BrokerHeartbeatRequest,
  nowMs: number,
): Extract<controller.Input, { type: "brokerHeartbeat" }> | Refusal {
  const brokerEpoch = epochOf(request.brokerEpoch);
  if (request.brokerId < 0 || brokerEpoch === null)
    return refusal(
      ErrorCode.INVALID_REQUEST,
      `broker ${request.brokerId} epoch ${request.brokerEpoch} is not one`,
    );
  return {
    type: "brokerHeartbeat",
    nowMs,
    brokerId: request.brokerId,
    brokerEpoch,
    // A broker shutting down is fenced first, so its leaderships move before it goes (controlled shutdown).
    wantFence: request.wantFence || request.wantShutDown,
  };
}

/**
 * The heartbeat's answer. IsCaughtUp: the broker has applied what the controller had committed when the
 * heartbeat arrived. ShouldShutDown: the broker asked to shut down and is now fenced, so nothing is led
 * there any more.
 */
export function heartbeatBody(
  request: BrokerHeartbeatRequest,
  response: controller.Response | null,
  error: number,
  committedOffset: number,
): BrokerHeartbeatResponseInput {
  const isFenced =
    response?.type === "brokerHeartbeat" && error === ErrorCode.NONE ? response.isFenced : true;
  return {
    throttleTimeMs: 0,
    errorCode: error,
    isCaughtUp: error === ErrorCode.NONE && request.currentMetadataOffset >= BigInt(committedOffset),
    isFenced,
    shouldShutDown: error === ErrorCode.NONE && request.wantShutDown && isFenced,
  };
}

/** The allocation input an AllocateProducerIds asks for, or Kafka's refusal. */
export function allocationInputOf(
  request: AllocateProducerIdsRequest,
): Extract<controller.Input, { type: "allocateProducerIds" }> | Refusal {
  const brokerEpoch = epochOf(request.brokerEpoch);
  if (request.brokerId < 0 || brokerEpoch === null)
    return refusal(
      ErrorCode.INVALID_REQUEST,
      `broker ${request.brokerId} epoch ${request.brokerEpoch} is not one`,
    );
  return { type: "allocateProducerIds", brokerId: request.brokerId, brokerEpoch };
}

export function allocationBody(
  response: controller.Response | null,
  error: number,
): AllocateProducerIdsResponseInput {
  const ok = response?.type === "allocateProducerIds" && error === ErrorCode.NONE;
  return {
    throttleTimeMs: 0,
    errorCode: error,
    producerIdStart: ok ? BigInt(response.firstProducerId) : -1n,
    producerIdLen: ok ? response.size : 0,
  };
}

/** One partition of an AlterPartition: the core input it asks for, or the error Kafka answers for it. */
export interface AlterPartitionItem {
  /** The topic as the request named it (a name before v2, an id from v2). */
  readonly topicKey: string;
  readonly partition: number;
  readonly input: Extract<controller.Input, { type: "alterPartition" }> | null;
  /** Set when `input` is null: refused before the core saw it. */
  readonly error: number;
}

/**
 * The inputs an AlterPartition asks for, one per partition, looked up in the controller's `image`
 * (topic ids from v2; ISR members' broker epochs from v3, checked as Kafka does: a member whose epoch
 * is not -1 and not its registration's is INELIGIBLE_REPLICA). A request-wide fault is a `Refusal`.
 */
export function alterPartitionItemsOf(
  request: AlterPartitionRequest,
  version: number,
  image: controller.MetadataImage,
): AlterPartitionItem[] | Refusal {
  const brokerEpoch = epochOf(request.brokerEpoch);
  if (request.brokerId < 0 || brokerEpoch === null)
    return refusal(
      ErrorCode.INVALID_REQUEST,
      `broker ${request.brokerId} epoch ${request.brokerEpoch} is not one`,
    );
  const count = request.topics.reduce((n, t) => n + t.partitions.length, 0);
  if (count > controller.requestItemsMax)
    return refusal(ErrorCode.INVALID_REQUEST, `${count} partitions, more than ${controller.requestItemsMax}`);
  const byId = version >= 2;
  const items: AlterPartitionItem[] = [];
  for (const t of request.topics) {
    const topicKey = byId ? t.topicId : t.topicName;
    let name: string | null = null;
    if (byId) {
      const coreId = hyphenatedOrNull(t.topicId);
      name = Object.values(image.topics).find((x) => x.topicId === coreId)?.name ?? null;
    } else name = image.topics[t.topicName] === undefined ? null : t.topicName;
    for (const p of t.partitions) {
      const fail = (error: number): AlterPartitionItem => ({
        topicKey,
        partition: p.partitionIndex,
        input: null,
        error,
      });
      if (name === null) {
        items.push(fail(byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        continue;
      }
      const members =
        version >= 3 ? p.newIsrWithEpochs : p.newIsr.map((brokerId) => ({ brokerId, brokerEpoch: -1n }));
      const stale = members.some((m) => {
        if (m.brokerEpoch === -1n) return false;
        const registered = image.brokers.find((b) => b.brokerId === m.brokerId);
        return registered === undefined || BigInt(registered.brokerEpoch) !== m.brokerEpoch;
      });
      if (stale) {
        items.push(fail(ErrorCode.INELIGIBLE_REPLICA));
        continue;
      }
      items.push({
        topicKey,
        partition: p.partitionIndex,
        error: ErrorCode.NONE,
        input: {
          type: "alterPartition",
          brokerId: request.brokerId,
          brokerEpoch,
          topic: name,
          partition: p.partitionIndex,
          leaderEpoch: p.leaderEpoch,
          partitionEpoch: p.partitionEpoch,
          isr: members.map((m) => m.brokerId),
        },
      });
    }
  }
  return items;
}

function hyphenatedOrNull(uuid: string): string | null {
  try {
    return topicIdFromWire(uuid);
  } catch {
    return null;
  }
}

/** One partition's answer: the error Kafka's response carries and the partition's state after it. */
export interface AlterPartitionResult {
  readonly topicKey: string;
  readonly partition: number;
  readonly error: number;
  readonly state: controller.PartitionState | null;
}

/**
 * The response to an AlterPartition: a request-wide error (NOT_CONTROLLER, STALE_BROKER_EPOCH, as Kafka
 * answers them at the top) when any partition met one, else each partition's result, grouped by topic
 * in the order the request named them.
 */
export function alterPartitionBody(
  results: readonly AlterPartitionResult[],
  version: number,
): AlterPartitionResponseInput {
  const topLevel = results.find(
    (r) => r.error === ErrorCode.NOT_CONTROLLER || r.error === ErrorCode.STALE_BROKER_EPOCH,
  );
  if (topLevel !== undefined) return { throttleTimeMs: 0, errorCode: topLevel.error, topics: [] };
  const grouped: { topicKey: string; partitions: AlterPartitionResponsePartitionDataInput[] }[] = [];
  for (const r of results) {
    let group = grouped.find((g) => g.topicKey === r.topicKey);
    if (group === undefined) {
      group = { topicKey: r.topicKey, partitions: [] };
      grouped.push(group);
    }
    const state = r.error === ErrorCode.NONE ? r.state : null;
    group.partitions.push({
      partitionIndex: r.partition,
      errorCode: r.error,
      leaderId: state?.leader ?? -1,
      leaderEpoch: state?.leaderEpoch ?? -1,
      isr: state === null ? [] : [...state.isr],
      leaderRecoveryState: 0,
      partitionEpoch: state?.partitionEpoch ?? -1,
    });
  }
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    topics: grouped.map((g) =>
      version >= 2
        ? { topicId: g.topicKey, partitions: g.partitions }
        : { topicName: g.topicKey, partitions: g.partitions },
    ),
  };
}

/** Kafka's wire code for a core error name. */
export function wireErrorOf(error: controller.ControllerError): number {
  return (ErrorCode as Record<string, number>)[error] ?? ErrorCode.UNKNOWN_SERVER_ERROR;
}
