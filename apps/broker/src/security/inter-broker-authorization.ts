/**
 * Who may send Eddy's internal messages (the quorum, replication, controller requests, pushed images)
 * once an authorizer is configured: as Kafka asks of its inter-broker requests, the connection's
 * principal needs CLUSTER_ACTION on the cluster resource, or is one of `super.users` (the usual way:
 * `super.users=User:<the inter-broker user>`). On a SASL inter-broker listener that principal is the
 * user the connecting node authenticated as, so a client that authenticated as someone else cannot
 * pose as a node.
 *
 * Messages on a controller listener (`controller.listener.names`) are not checked: Eddy serves no
 * SASL there, so every node would be User:ANONYMOUS, and the quorum stays on that listener as before.
 * Owns this one decision; it must never read a message's contents.
 */
import { controller } from "@eddy/core";
import type { BrokerConfig } from "../config/broker-config.ts";
import type { ConnectionInfo } from "../net/server.ts";
import { authorize, clusterResourceName } from "./authorizer.ts";
import { hostOf, principalOf } from "./authorizer-principal.ts";

/** Null when the connection may send internal messages; otherwise why not, for the refusal's log line. */
export function interBrokerRefusal(
  config: Pick<BrokerConfig, "authorizer" | "controllerListenerNames">,
  image: controller.MetadataImage,
  connection: ConnectionInfo,
): string | null {
  if (!config.authorizer.enabled) return null;
  if (config.controllerListenerNames.includes(connection.listener.name)) return null;
  const principal = principalOf(connection);
  const allowed = authorize(
    config.authorizer,
    controller.aclsOf(image),
    { principal, host: hostOf(connection) },
    "CLUSTER_ACTION",
    "CLUSTER",
    clusterResourceName,
  );
  return allowed
    ? null
    : `an inter-broker message from ${principal} on listener ${connection.listener.name} refused: it needs CLUSTER_ACTION on the cluster or to be in super.users`;
}
