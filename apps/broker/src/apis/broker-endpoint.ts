/**
 * The address a client is told for a broker: the one registered for the listener its request arrived
 * on (Kafka's rule, `MetadataCache.getAliveBrokerNode(id, listenerName)`), so a client of the SSL
 * listener is sent to SSL ports only and a client of PLAINTEXT to PLAINTEXT ports only. This broker's
 * own address is the listener's advertised one as bound (a configured port 0 is the port picked).
 *
 * Owns that one choice for Metadata and FindCoordinator. It must never answer with another listener's
 * address: a broker that registered listeners but none of this name has no address here (null), and
 * its caller leaves it out, as Kafka does. A broker registered without listeners (an image written
 * before they were registered) is known by its one address on every listener, as before.
 */
import type { controller } from "@eddy/core";
import type { ListenerEndpoint } from "../net/server.ts";

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
}

export function brokerEndpointFor(
  broker: controller.BrokerRegistration,
  listener: ListenerEndpoint,
  selfId: number,
): BrokerAddress | null {
  if (broker.brokerId === selfId) return { host: listener.advertisedHost, port: listener.advertisedPort };
  if (broker.listeners === undefined) return { host: broker.host, port: broker.port };
  const match = broker.listeners.find((l) => l.name === listener.name);
  return match === undefined ? null : { host: match.host, port: match.port };
}
