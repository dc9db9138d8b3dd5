/**
 * Controller requests in a cluster: a node's broker side hands registration, heartbeats,
 * AlterPartition and topic changes to the active controller wherever it runs (its own controller
 * when that is the active one), and the active controller answers the requests other nodes forwarded
 * (KRaft's brokers send BrokerRegistration, BrokerHeartbeat, AlterPartition and forward admin
 * requests to the controller in the same way).
 *
 * Owns: the choice of where a request goes, its retries until a deadline while no controller is
 * known or the one asked is not active, the requests a controller accepts from the network, and the
 * controller's own clock on broker sessions. Must never answer a request as done unless the active
 * controller committed it.
 */
import type { controller } from "@eddy/core";
import type { BrokerMetadata, ControllerForwarder } from "../node/broker-metadata.ts";
import type { MetadataShell } from "../node/metadata-shell.ts";
import { notController } from "../node/metadata-shell.ts";
import type { ClusterLink } from "./cluster-link.ts";
import type { InternalMessage } from "./internal-message.ts";

/** Requests other nodes may send the controller; the rest (committed entries, activation) are its own. */
const forwardable = new Set<controller.Input["type"]>([
  "registerBroker",
  "brokerHeartbeat",
  "createTopics",
  "deleteTopics",
  "createPartitions",
  "alterPartition",
  "electLeaders",
  "allocateProducerIds",
  "createAcls",
  "deleteAcls",
  "alterTopicConfigs",
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
        const answer = await link.forward(leader, input, leftMs);
        if (answer === null) unanswered = true;
        if (answer?.committed === true) {
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
  clock: () => number,
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
  let input = m.input;
  // Broker sessions are timed on the controller's clock: the brokers' clocks are not comparable with it.
  if (input.type === "registerBroker" || input.type === "brokerHeartbeat")
    input = { ...input, nowMs: clock() };
  void metadata.requestLocal(input).then(({ response, committed }) => {
    // A refused AlterPartition stands only under the leader lease (the simulator's binding answers the same).
    const done =
      response?.type === "alterPartition"
        ? metadata.trustedError(response.error, committed, refusalLeaseMs) !== "NOT_CONTROLLER"
        : committed;
    link.answer(m.from, m.requestId, { response, committed: done, leaderId: metadata.leaderId ?? -1 });
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
