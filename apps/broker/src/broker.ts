/**
 * The broker process: a node (metadata, partitions, groups over storage) behind a TCP server.
 * Owns start-up order (storage, metadata, listener, registration) and shutdown order (stop
 * accepting, finish in-flight requests, flush, close). Must never leave data unflushed on a clean stop.
 */
import type { BrokerConfig } from "./config/broker-config.ts";
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
    readonly advertisedPort: number,
  ) {}

  get port(): number {
    return this.server.port;
  }

  static async start(config: BrokerConfig, log: (line: string) => void): Promise<Broker> {
    const node = await BrokerNode.open(config, log);
    const server = new Server(
      {
        host: config.listener.host,
        port: config.listener.port,
        frameBytesMax: config.requestBytesMax,
        connectionsMax: config.connectionsMax,
        inflightRequestsMax: config.inflightRequestsMax,
        outboundBytesMax: 64 * 1024 * 1024,
        log,
      },
      // On a SASL_PLAINTEXT listener a connection reaches the request handler only once authenticated.
      withSasl(
        new RequestHandler(node, log),
        config.sasl,
        config.saslReceiveBytesMax,
        config.failedAuthenticationDelayMs,
      ),
    );
    server.start();
    // With --port 0 the OS picks the port; clients must be told the one actually bound.
    const advertisedPort =
      config.advertised.port === 0 || config.advertised === config.listener
        ? server.port
        : config.advertised.port;
    await node.start(config.advertised.host, advertisedPort);
    return new Broker(node, server, advertisedPort);
  }

  async stop(): Promise<void> {
    // Held JoinGroup/SyncGroup requests would wait out a whole rebalance: answer them now with
    // NOT_COORDINATOR (clients retry elsewhere) so in-flight requests can drain promptly.
    this.node.groups.close();
    await this.server.stop(shutdownDrainMsMax);
    await this.node.close();
  }
}
