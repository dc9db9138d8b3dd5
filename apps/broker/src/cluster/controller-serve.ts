/**
 * The controller's side of the four requests brokers send it as Kafka requests (BrokerRegistration,
 * BrokerHeartbeat, AlterPartition, AllocateProducerIds; the handlers are `apis/56-`, `62-`, `63-` and
 * `67-`): one core input is handed to this node's own controller when it is the active one, and the
 * answer's error is the one Kafka's controller would give.
 *
 * Owns: the choice between serving and NOT_CONTROLLER, the controller's clock on broker sessions, and
 * the rule that decides when a refusal is trusted: an AlterPartition refused by this controller stands
 * only under the leader lease (`MetadataController.trustedError`, the check the simulator's binding
 * uses too); any other answer stands once its records committed. Must never answer a change as done
 * unless it committed.
 */
import type { controller } from "@eddy/core";
import { ErrorCode } from "@eddy/protocol";
import type { RequestContext } from "../apis/api.ts";
import { CloseConnection } from "../net/server.ts";
import type { BrokerNode } from "../node/broker-node.ts";
import { MetadataShell } from "../node/metadata-shell.ts";
import { allowedOnCluster } from "../security/authorizer-checks.ts";
import { refusalLeaseMs } from "./controller-forwarding.ts";
import { wireErrorOf } from "./controller-wire.ts";

export interface ServedAnswer {
  readonly response: controller.Response | null;
  /** Kafka's error code for the answer (NONE, NOT_CONTROLLER or the core's refusal). */
  readonly error: number;
}

/** This node's controller when it is the active one, else null (the request is answered NOT_CONTROLLER). */
export function activeController(node: BrokerNode): MetadataShell | null {
  const metadata = node.metadata;
  return metadata instanceof MetadataShell && metadata.isActive ? metadata : null;
}

/** Serves one input on this node's active controller; resolves once committed or refused. */
export async function serveControllerInput(node: BrokerNode, input: controller.Input): Promise<ServedAnswer> {
  const metadata = activeController(node);
  if (metadata === null) return { response: null, error: ErrorCode.NOT_CONTROLLER };
  const { response, committed } = await metadata.requestLocal(input);
  if (response === null) return { response: null, error: ErrorCode.NOT_CONTROLLER };
  const error =
    response.type === "alterPartition"
      ? metadata.trustedError(response.error, committed, refusalLeaseMs)
      : committed
        ? errorNameOf(response)
        : "NOT_CONTROLLER";
  return { response, error: wireErrorOf(error) };
}

function errorNameOf(response: controller.Response): controller.ControllerError {
  switch (response.type) {
    case "registerBroker":
    case "brokerHeartbeat":
    case "alterPartition":
    case "allocateProducerIds":
      return response.error;
    default:
      // Only the four inputs above come here (the handlers build them); anything else is a bug.
      throw new Error(`controller-serve: unexpected ${response.type} answer`);
  }
}

/**
 * A broker-only node learns metadata from the active controller alone: its heartbeats also bring the
 * newest image, in case a push after a commit was lost.
 */
export function pushImageAfterHeartbeat(node: BrokerNode, brokerId: number): void {
  const cluster = node.cluster;
  const metadata = activeController(node);
  if (cluster === null || metadata === null || cluster.voterIds.includes(brokerId)) return;
  cluster.send(brokerId, { kind: "metadataImage", from: node.config.nodeId, image: metadata.image });
}

/**
 * Refuses a controller-only API that arrived on a listener outside `controller.listener.names`: Kafka
 * serves these on the controller listener alone, so no client of a broker listener can register or
 * fence a broker. The connection closes with the reason in the log. Then Kafka's authorization: the
 * sender needs CLUSTER_ACTION on the cluster (a broker's principal is a super user or holds it), else
 * the answer is CLUSTER_AUTHORIZATION_FAILED, returned here for the handler to send.
 */
export function controllerRequestRefusal(ctx: RequestContext, apiName: string): number | null {
  const name = ctx.connection.listener.name;
  if (!ctx.node.config.servedListeners.some((l) => l.name === name && l.controller)) {
    throw new CloseConnection(
      `${apiName} is served on a controller listener only (controller.listener.names), not on ${name}`,
    );
  }
  if (allowedOnCluster(ctx, "CLUSTER_ACTION")) return null;
  ctx.node.log(`controller: ${apiName} from ${ctx.principal} refused: no CLUSTER_ACTION on the cluster`);
  return ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
}
