/**
 * The broker's side of the four requests it sends the active controller as Kafka requests
 * (BrokerRegistration, BrokerHeartbeat, AlterPartition, AllocateProducerIds), over the cluster link's
 * outbound connection to that node: Kafka's framing with correlation ids, the request's timeout,
 * reconnect with backoff and the bounded queue of pending requests are the `PeerClient`'s.
 *
 * Requests Kafka's brokers do not send this way stay on Eddy's internal `controllerRequest` message
 * (`internal-message.ts`): topic creation and deletion, partitions, elections, ACLs, configs and SCRAM
 * credentials forwarded from a node that is not the controller (Kafka forwards those in an Envelope,
 * api 58, whose principal and listener checks Eddy does not have yet).
 *
 * Owns: turning one answer into the forwarder's terms (committed with the core's response, or not the
 * controller), and a log line, at most every few seconds, for an answer the core has no name for.
 * Must never retry (the forwarder does, at the controller it learns from the metadata or the quorum),
 * and never report a request as done when the node asked was not the active controller.
 */
import type { controller } from "@eddy/core";
import { PeerRequestError } from "../net/peer-client.ts";
import type { BrokerNode } from "../node/broker-node.ts";
import type { ClusterLink, ForwardedAnswer } from "./cluster-link.ts";
import {
  type ControllerAnswer,
  type ControllerResponseBody,
  ControllerWireError,
  controllerRequestOf,
  controllerResponseOf,
  newIncarnationId,
  type SenderContext,
  sentVersions,
  type WireInput,
} from "./controller-wire.ts";

/** An answer the core has no error name for is logged at most this often. */
const oddAnswerLogIntervalMs = 5_000;

/** What a broker node adds to its requests, read at each request (its image moves). */
export function senderContextOf(node: BrokerNode): Omit<SenderContext, "incarnationId"> {
  const name = node.config.listener.name;
  const served = node.config.servedListeners.find((l) => l.name === name);
  return {
    clusterId: node.clusterId,
    listener: { name, securityProtocol: served?.securityProtocol ?? "PLAINTEXT" },
    image: node.metadata.image,
  };
}

export class ControllerClient {
  private oddAnswerLoggedMs = 0;
  /** This process's incarnation (Kafka's IncarnationId): drawn once, so every run sends a new one. */
  readonly incarnationId = newIncarnationId();

  constructor(
    private readonly link: ClusterLink,
    private readonly context: () => Omit<SenderContext, "incarnationId">,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Sends `input` to node `to` and resolves with its answer: committed with the core's response, not
   * committed (NOT_CONTROLLER: ask another), or null when no answer came in `timeoutMs`.
   */
  async ask(to: number, input: WireInput, timeoutMs: number): Promise<ForwardedAnswer | null> {
    let request: ReturnType<typeof controllerRequestOf>;
    try {
      request = controllerRequestOf(input, { ...this.context(), incarnationId: this.incarnationId });
    } catch (error) {
      if (!(error instanceof ControllerWireError)) throw error;
      // Nothing any controller could do with it: answer here, as the controller would have refused it.
      this.log(`cluster: ${input.type} not sent to the controller: ${error.message}`);
      return { response: refusedHere(input), committed: true, leaderId: -1 };
    }
    let body: ControllerResponseBody;
    try {
      body = (await this.link.request(
        to,
        request.apiKey,
        sentVersions[request.apiKey],
        request.body,
        timeoutMs,
      )) as ControllerResponseBody;
    } catch (error) {
      if (!(error instanceof PeerRequestError)) throw error;
      // A request that cannot be encoded or an answer that does not decode is a bug, not a lost peer.
      if (error.reason === "BadRequest" || error.reason === "BadResponse")
        this.log(`cluster: ${input.type} to node ${to} failed: ${error.message}`);
      return null;
    }
    let answer: ControllerAnswer;
    try {
      answer = controllerResponseOf(input, body);
    } catch (error) {
      if (!(error instanceof ControllerWireError)) throw error;
      this.log(`cluster: node ${to} answered ${input.type} with something unreadable: ${error.message}`);
      return null;
    }
    if (answer.notController) return { response: null, committed: false, leaderId: -1 };
    // INCONSISTENT_CLUSTER_ID and other codes the core has no name for reach it as UNKNOWN_SERVER_ERROR.
    if (answer.errorName !== errorOfResponse(answer.response)) this.oddAnswer(to, input, answer.errorName);
    return { response: answer.response, committed: true, leaderId: to };
  }

  private oddAnswer(to: number, input: WireInput, errorName: string): void {
    const nowMs = performance.now();
    if (nowMs - this.oddAnswerLoggedMs < oddAnswerLogIntervalMs) return;
    this.oddAnswerLoggedMs = nowMs;
    this.log(`cluster: node ${to} answered ${input.type} with ${errorName}`);
  }
}

function errorOfResponse(response: controller.Response): string {
  return "error" in response ? response.error : "NONE";
}

/** The answer to an input that cannot be said on the wire (a topic this broker's image lacks, a bad listener). */
function refusedHere(input: WireInput): controller.Response {
  switch (input.type) {
    case "registerBroker":
      return { type: "registerBroker", error: "INVALID_REQUEST", brokerEpoch: -1 };
    case "brokerHeartbeat":
      return { type: "brokerHeartbeat", error: "INVALID_REQUEST", isFenced: true };
    case "alterPartition":
      return { type: "alterPartition", error: "UNKNOWN_TOPIC_OR_PARTITION", partition: null };
    case "allocateProducerIds":
      return { type: "allocateProducerIds", error: "INVALID_REQUEST", firstProducerId: -1, size: 0 };
  }
}
