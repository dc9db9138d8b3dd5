/**
 * Controller requests in a cluster: a node's broker side hands registration, heartbeats,
 * AlterPartition and topic changes to the active controller wherever it runs (its own controller
 * when that is the active one), and the active controller answers the requests other nodes forwarded
 * (KRaft's brokers send BrokerRegistration, BrokerHeartbeat, AlterPartition and forward admin
 * requests to the controller in the same way).
 *
 * Registration, heartbeats, AlterPartition and producer-id blocks travel as Kafka's own requests
 * (`controller-client.ts`, served by `apis/56-`, `62-`, `63-`, `67-`); the rest (topics, partitions,
 * elections, ACLs, configs, SCRAM) stay on Eddy's internal `controllerRequest` message.
 *
 * Owns: the choice of where a request goes, its retries until a deadline while no controller is
 * known or the one asked is not active, and the internal requests a controller accepts from the
 * network. Must never answer a request as done unless the active controller committed it.
 */
import type { controller } from "@eddy/core";
import type { BrokerMetadata, ControllerForwarder } from "../node/broker-metadata.ts";
import type { MetadataShell } from "../node/metadata-shell.ts";
import { notController } from "../node/metadata-shell.ts";
import type { ClusterLink, ForwardedAnswer } from "./cluster-link.ts";
import type { ControllerClient } from "./controller-client.ts";
import { isWireInput } from "./controller-wire.ts";
import type { InternalMessage } from "./internal-message.ts";

/**
 * Requests other nodes may send the controller as an internal message; the rest are its own (committed
 * entries, activation) or arrive as Kafka's requests (registration, heartbeats, AlterPartition,
 * producer ids: `controller-serve.ts`).
 */
const forwardable = new Set<controller.Input["type"]>([
  "createTopics",
  "deleteTopics",
  "createPartitions",
  "electLeaders",
  "createAcls",
  "deleteAcls",
  "alterTopicConfigs",
  "alterBrokerConfigs",
  "alterUserScramCredentials",
]);

/** How long one forwarded request waits for its answer before it is asked again (or given up). */
const forwardTimeoutMs = 3_000;
/** How long a request keeps looking for an active controller before it answers NOT_CONTROLLER. */
export const controllerRequestDeadlineMs = 10_000;
/** The pause between attempts while no controller is known or the one asked was not active. */
const retryPauseMs = 100;
/**
 * How recently a quorum must have acknowledged the active controller for it to refuse a request on
 * its own image: four quorum ticks (a deposed leader that has not noticed yet would refuse from a
 * stale image, and the partition leader would then wait for metadata that never comes).
 */
export const refusalLeaseMs = 400;

/** The broker side: where each controller request goes, and its retries. */
export function controllerForwarder(
  metadata: BrokerMetadata,
  link: ClusterLink,
  isClosed: () => boolean,
  /** Called with the active controller an answer named (a broker-only node keeps it as its hint). */
  leaderNamed: (nodeId: number) => void = () => {},
  /** Sends the inputs Kafka's brokers send as requests of their own (`controller-client.ts`). */
  wire: ControllerClient | null = null,
): ControllerForwarder {
  // A node that knows no controller (a broker-only node at start) asks the voters in turn.
  let round = 0;
  const anyVoter = (): number | null => {
    const voters = link.voterIds.filter((id) => id !== link.nodeId);
    if (voters.length === 0) return null;
    round = (round + 1) % voters.length;
    return voters[round]!;
  };
  return async (input) => {
    // AlterPartition is retried by the partition's own core on its timer; anything else keeps looking.
    const deadlineMs =
      performance.now() + (input.type === "alterPartition" ? forwardTimeoutMs : controllerRequestDeadlineMs);
    let hint: number | null = null;
    // After a node gave no answer, the next attempt asks another voter: the one this node last knew
    // as the controller may be the one that is gone.
    let unanswered = false;
    while (!isClosed()) {
      const known = unanswered ? null : metadata.leaderId;
      const leader: number | null = hint ?? known ?? (metadata.isActive ? null : anyVoter());
      hint = null;
      unanswered = false;
      if (leader === link.nodeId && metadata.isActive) return metadata.requestHere(input);
      if (leader !== null && leader !== link.nodeId) {
        const leftMs = Math.max(1, Math.min(forwardTimeoutMs, Math.ceil(deadlineMs - performance.now())));
        const answer: ForwardedAnswer | null =
          wire !== null && isWireInput(input)
            ? await wire.ask(leader, input, leftMs)
            : await link.forward(leader, input, leftMs);
        // Kafka's NOT_CONTROLLER names no controller: the next attempt asks another voter, as after no answer.
        if (answer === null || (!answer.committed && answer.leaderId < 0)) unanswered = true;
        if (answer?.committed === true) {
          if (answer.leaderId >= 0) leaderNamed(answer.leaderId);
          // What the controller committed reaches this node's image through the quorum; a client told
          // "created" should find the topic here too, so wait a moment for it (bounded).
          await metadata.settled();
          return answer.response;
        }
        if (answer !== null && answer.leaderId >= 0) {
          leaderNamed(answer.leaderId);
          if (answer.leaderId !== leader) hint = answer.leaderId;
        }
      }
      if (performance.now() >= deadlineMs) break;
      if (hint === null) await new Promise((resolve) => setTimeout(resolve, retryPauseMs));
    }
    return unansweredResponse(input);
  };
}

/** The controller side: answers a request another node forwarded, once committed (or refused). */
export function serveForwardedRequest(
  metadata: MetadataShell,
  link: ClusterLink,
  m: Extract<InternalMessage, { kind: "controllerRequest" }>,
  log: (line: string) => void,
): void {
  const refuse = () =>
    link.answer(m.from, m.requestId, { response: null, committed: false, leaderId: metadata.leaderId ?? -1 });
  if (!forwardable.has(m.input.type)) {
    log(
      `cluster: node ${m.from} sent a controller request of type ${String(m.input.type)}, which is not served`,
    );
    refuse();
    return;
  }
  if (!metadata.isActive) {
    refuse();
    return;
  }
  void metadata.requestLocal(m.input).then(({ response, committed }) => {
    link.answer(m.from, m.requestId, { response, committed, leaderId: metadata.leaderId ?? -1 });
  });
}

/** The answer to a request no active controller took: NOT_CONTROLLER in the request's own shape. */
function unansweredResponse(input: controller.Input): controller.Response | null {
  switch (input.type) {
    case "registerBroker":
      return { type: "registerBroker", error: "NOT_CONTROLLER", brokerEpoch: -1 };
    case "brokerHeartbeat":
      return { type: "brokerHeartbeat", error: "NOT_CONTROLLER", isFenced: true };
    case "createTopics":
      return notController({
        type: "createTopics",
        topics: input.topics.map((t) => ({ name: t.name, error: "NONE", topicId: null })),
      });
    case "deleteTopics":
      return notController({
        type: "deleteTopics",
        topics: input.names.map((name) => ({ name, error: "NONE" })),
      });
    case "createPartitions":
      return notController({
        type: "createPartitions",
        topics: input.topics.map((t) => ({ name: t.name, error: "NONE" })),
      });
    case "alterPartition":
      return { type: "alterPartition", error: "NOT_CONTROLLER", partition: null };
    case "electLeaders":
      return {
        type: "electLeaders",
        partitions: input.partitions.map((p) => ({ ...p, error: "NOT_CONTROLLER" })),
      };
    case "allocateProducerIds":
      return { type: "allocateProducerIds", error: "NOT_CONTROLLER", firstProducerId: -1, size: 0 };
    case "createAcls":
      return { type: "createAcls", results: input.acls.map(() => ({ error: "NOT_CONTROLLER" })) };
    case "deleteAcls":
      return {
        type: "deleteAcls",
        results: input.filters.map(() => ({ error: "NOT_CONTROLLER", acls: [] })),
      };
    case "alterTopicConfigs":
      return notController({
        type: "alterTopicConfigs",
        topics: input.topics.map((t) => ({ name: t.name, error: "NONE", message: null })),
      });
    case "alterBrokerConfigs":
      return notController({
        type: "alterBrokerConfigs",
        resources: input.resources.map((r) => ({ name: r.name, error: "NONE", message: null })),
      });
    case "alterUserScramCredentials":
      return {
        type: "alterUserScramCredentials",
        results: [...new Set([...input.deletions, ...input.upsertions].map((c) => c.name))].map((name) => ({
          name,
          error: "NOT_CONTROLLER",
          message: null,
        })),
      };
    default:
      return null;
  }
}
