/**
 * The broker process: a node (metadata, partitions, groups over storage) behind a TCP server.
 * Owns start-up order (storage, metadata, listener, registration) and shutdown order (stop
 * accepting, finish in-flight requests, flush, close). Must never leave data unflushed on a clean stop.
 */
import type { controller } from "@eddy/core";
import { AdminListener } from "./admin/admin-listener.ts";
import type { BrokerConfig } from "./config/broker-config.ts";
import { CollectionPacer } from "./net/collection-pacer.ts";
import { Server } from "./net/server.ts";
import { BrokerNode } from "./node/broker-node.ts";
import { RequestHandler } from "./request-handler.ts";
import { withSasl } from "./security/sasl-gate.ts";

/** How long a clean shutdown waits for in-flight requests (long polls end sooner: they are woken). */
const shutdownDrainMsMax = 10_000;

export class Broker {
  private constructor(
    private readonly node: BrokerNode,
    private readonly server: Server,
    /** The client listener's name: `port` and `advertisedPort` are its. */
    private readonly clientListenerName: string,
    /** `/metrics`, `/healthz`, `/readyz`, the admin API and console; null with `admin.port` 0. */
    private readonly admin: AdminListener | null,
  ) {}

  /** The admin listener's bound port, 0 when it is off. */
  get adminPort(): number {
    return this.admin?.port ?? 0;
  }

  /** The client listener's bound port. */
  get port(): number {
    return this.server.portOf(this.clientListenerName);
  }

  /** Where clients of the client listener are told to connect (the port the OS picked for --port 0). */
  get advertisedPort(): number {
    return this.server.endpointOf(this.clientListenerName).advertisedPort;
  }

  /** Socket reads given back as soon as their requests were answered (`@eddy/protocol`'s `chunk-lease.ts`; tests read it). */
  get chunksReleased(): number {
    return this.server.chunksReleased;
  }

  /** Large request frames whose buffer was reused (the frame pool's count; tests read it). */
  get framesReused(): number {
    return this.server.framePool.reusedCount;
  }

  /** The bound port of any listener by name (`CONTROLLER`, `SSL`, ...); throws for a name not in `listeners`. */
  portOf(listenerName: string): number {
    return this.server.portOf(listenerName.toUpperCase());
  }

  static async start(config: BrokerConfig, log: (line: string) => void): Promise<Broker> {
    // Up first, so /readyz answers 503 "starting" while the node loads.
    const admin = AdminListener.start(config, log);
    const node = await BrokerNode.open(config, log).catch(async (error: unknown) => {
      await admin?.stop();
      throw error;
    });
    const requests = new RequestHandler(node, log);
    const pacer = new CollectionPacer(config.collectIntervalBytes);
    const server = new Server({
      // Every listener of `listeners` is bound, controller listeners too (served by the same handler
      // until the cluster gives them their own requests).
      listeners: config.servedListeners.map((l) => ({
        name: l.name,
        host: l.host,
        port: l.port,
        advertisedHost: l.advertisedHost,
        advertisedPort: l.advertisedPort,
        // On a SASL listener a connection reaches the request handler only once authenticated.
        // SCRAM credentials are looked up in the committed image first (AlterUserScramCredentials).
        handler: withSasl(
          requests,
          l.sasl,
          config.saslReceiveBytesMax,
          config.failedAuthenticationDelayMs,
          () => node.image,
        ),
        tls: l.tls,
      })),
      frameBytesMax: config.requestBytesMax,
      connectionsMax: config.connectionsMax,
      inflightRequestsMax: config.inflightRequestsMax,
      outboundBytesMax: 64 * 1024 * 1024,
      onBytesReceived: (bytes) => pacer.received(bytes),
      log,
    });
    try {
      server.start();
    } catch (error) {
      // A listener that cannot bind stops the start; the node opened for it closes (flushing nothing new).
      await node.close();
      await admin?.stop();
      throw error;
    }
    // A broker with one plaintext listener says nothing more than its banner; otherwise each is named.
    if (
      config.servedListeners.length > 1 ||
      config.servedListeners.some((l) => l.securityProtocol !== "PLAINTEXT")
    ) {
      for (const l of config.servedListeners) {
        const endpoint = server.endpointOf(l.name);
        log(
          `listener ${l.name} (${l.securityProtocol}${l.controller ? ", controller" : ""}) bound on ${l.host}:${server.portOf(l.name)}, advertised as ${endpoint.advertisedHost}:${endpoint.advertisedPort}` +
            (l.tls === null
              ? ""
              : `; TLS certificate ${l.tls.certificateSubject} (valid to ${l.tls.certificateValidTo}), ssl.client.auth=${l.tls.clientAuth}`),
        );
      }
    }
    // The node registers every advertised broker listener (Metadata answers each client with the
    // addresses of its own listener), and other nodes reach it on its inter-broker listener.
    // (A controller-only node binds no inter-broker listener and registers nothing.)
    const isBroker = config.processRoles.includes("broker");
    const registered = server.endpointOf(
      (isBroker ? config.interBroker?.listenerName : null) ?? config.listener.name,
    );
    const listeners = config.servedListeners
      .filter((l) => !l.controller)
      .map((l) => {
        const endpoint = server.endpointOf(l.name);
        return {
          name: l.name,
          host: endpoint.advertisedHost,
          port: endpoint.advertisedPort,
          securityProtocol: l.securityProtocol as controller.SecurityProtocol,
        };
      });
    await node.start(registered.advertisedHost, registered.advertisedPort, listeners);
    admin?.serving({ node, connectionCount: () => server.connectionCount });
    return new Broker(node, server, config.listener.name, admin);
  }

  async stop(): Promise<void> {
    this.admin?.stopping();
    // A cluster's node hands its leaderships over first (Kafka's controlled shutdown).
    await this.node.controlledShutdown();
    // Held JoinGroup/SyncGroup requests would wait out a whole rebalance: answer them now with
    // NOT_COORDINATOR (clients retry elsewhere) so in-flight requests can drain promptly.
    this.node.groups.close();
    await this.server.stop(shutdownDrainMsMax);
    await this.node.close();
    await this.admin?.stop();
  }
}
