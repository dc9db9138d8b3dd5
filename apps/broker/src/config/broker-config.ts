/**
 * The broker's typed configuration, derived from resolved Kafka properties. Owns the precedence rules
 * Kafka itself applies between related keys (log.retention.ms > .minutes > .hours, log.dirs > log.dir,
 * node.id > broker.id) so the rest of the shell reads one plain object with units in its names.
 */

import type { AuthorizerSettings } from "../security/authorizer.ts";
import { toAuthorizerSettings } from "./authorizer-settings.ts";
import {
  type Listener,
  type ProcessRole,
  parseSecurityProtocolMap,
  type QuorumVoter,
  toClusterSettings,
} from "./cluster-settings.ts";
import { type InterBrokerSettings, toInterBrokerSettings } from "./inter-broker-settings.ts";
import { ConfigError, configBool, configInt, configText, type ResolvedConfig } from "./resolve.ts";
import { type ListenerSasl, toListenerSasl } from "./sasl-settings.ts";
import { type ListenerTls, toListenerTls } from "./ssl-settings.ts";

export type { Listener, ProcessRole, QuorumVoter } from "./cluster-settings.ts";
export type { InterBrokerSasl, InterBrokerSettings, InterBrokerTls } from "./inter-broker-settings.ts";
export type { ListenerSasl, SaslMechanism } from "./sasl-settings.ts";
export type { ListenerTls, SslClientAuth } from "./ssl-settings.ts";

/** One listener the server binds, with everything its connections need. */
export interface ServedListener {
  /** The listener name, upper case, and the address bound. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** From `listener.security.protocol.map` (Kafka's default map, controller listeners PLAINTEXT). */
  readonly securityProtocol: string;
  /** Named in `controller.listener.names`; served by the same request handler for now. */
  readonly controller: boolean;
  /**
   * Where clients of this listener are told to connect: its `advertised.listeners` entry, or its own
   * address when it has none (a wildcard host becomes 127.0.0.1). Port 0 means the port bound.
   */
  readonly advertisedHost: string;
  readonly advertisedPort: number;
  /** The SASL settings of a SASL_PLAINTEXT or SASL_SSL listener, null otherwise. */
  readonly sasl: ListenerSasl | null;
  /** The TLS settings (key store, trust store, client auth) of an SSL or SASL_SSL listener, null otherwise. */
  readonly tls: ListenerTls | null;
}

export interface BrokerConfig {
  readonly nodeId: number;
  /** Every listener of `listeners`, in order, controller listeners included: the server binds them all. */
  readonly servedListeners: readonly ServedListener[];
  /** The client listener: the first of `listeners` that is not a controller listener (`--host`/`--port` edit it). */
  readonly listener: Listener;
  /** Where clients are told to connect: the advertised listener of the same name as `listener`. */
  readonly advertised: Listener;
  /**
   * The SASL settings of `listener` when it is a SASL_PLAINTEXT or SASL_SSL listener (clients must
   * authenticate before anything else is served), null otherwise.
   */
  readonly sasl: ListenerSasl | null;
  /** `sasl.server.max.receive.size`: the largest frame a SASL listener reads before authentication. */
  readonly saslReceiveBytesMax: number;
  /** `connection.failed.authentication.delay.ms`: a failed authentication is answered and closed this late. */
  readonly failedAuthenticationDelayMs: number;
  /**
   * The KRaft cluster settings, validated with Kafka's rules and exposed here; apart from binding
   * every listener, not yet acted on: the node is still a cluster of one (issue 12 builds the cluster).
   */
  readonly processRoles: readonly ProcessRole[];
  /** Empty when `controller.quorum.voters` is unset: the node is a cluster of one, as before. */
  readonly quorumVoters: readonly QuorumVoter[];
  readonly listeners: readonly Listener[];
  readonly advertisedListeners: readonly Listener[];
  readonly controllerListenerNames: readonly string[];
  /**
   * The listener other nodes reach this one on for broker traffic, and the TLS and SASL this node
   * presents to theirs (`inter-broker-settings.ts`); null on a controller-only node.
   */
  readonly interBroker: InterBrokerSettings | null;
  readonly offsetsTopicReplicationFactor: number;
  /** `offsets.topic.num.partitions`: a cluster keeps group metadata and offsets in this many partitions. */
  readonly offsetsTopicPartitions: number;
  readonly brokerSessionTimeoutMs: number;
  readonly brokerHeartbeatIntervalMs: number;
  /**
   * `--cluster-id`: the cluster this node's data directory must belong to (checked against
   * `meta.properties` at start), or null to take the one the directory holds.
   */
  readonly clusterIdExpected: string | null;
  readonly dataDir: string;
  readonly storageEngine: "fs" | "memory";
  readonly partitionCountDefault: number;
  readonly replicationFactorDefault: number;
  readonly autoCreateTopicsEnable: boolean;
  readonly deleteTopicEnable: boolean;
  readonly minInsyncReplicas: number;
  readonly uncleanLeaderElectionEnable: boolean;
  /** `eddy.test.fault.injection.enable`: the admin listener's fault hook may be used (tests only). */
  readonly testFaultInjectionEnable: boolean;
  readonly replicaLagMsMax: number;
  /** `max.incremental.fetch.session.cache.slots`: fetch sessions (KIP-227) cached at most. */
  readonly fetchSessionCacheSlotsMax: number;
  /** `min.incremental.fetch.session.eviction.ms`: a fetch session unused this long may be evicted. */
  readonly fetchSessionEvictionMs: number;
  readonly segmentBytesMax: number;
  /** `eddy.log.tail.cache.bytes`: the bytes of recent batches kept in memory, across all partitions. */
  readonly tailCacheBytesMax: number;
  /** `eddy.log.index.cache.bytes`: bytes of inactive segments' index entries kept in memory, across all partitions. */
  readonly indexCacheBytesMax: number;
  /** `eddy.heap.collect.interval.bytes`: request bytes between asks for a concurrent collection (0: off). */
  readonly collectIntervalBytes: number;
  readonly rollMs: number;
  /** -1 keeps data forever, as in Kafka. */
  readonly retentionMs: number;
  readonly retentionBytesMax: number;
  readonly retentionCheckIntervalMs: number;
  readonly indexIntervalBytes: number;
  readonly flushIntervalMessages: number;
  readonly flushIntervalMs: number;
  readonly messageBytesMax: number;
  readonly requestBytesMax: number;
  readonly connectionsMax: number;
  readonly inflightRequestsMax: number;
  readonly offsetsRetentionMs: number;
  readonly groupInitialRebalanceDelayMs: number;
  readonly groupSessionTimeoutMsMin: number;
  readonly groupSessionTimeoutMsMax: number;
  readonly groupMembersMax: number;
  readonly producerIdExpirationMs: number;
  /** `admin.port`: the admin HTTP listener's port (metrics, health, the admin API); 0 when it is off. */
  readonly adminPort: number;
  /** `authorizer.class.name`, `super.users`, `allow.everyone.if.no.acl.found`: off unless a class is named. */
  readonly authorizer: AuthorizerSettings;
}

function must(value: number | null, name: string): number {
  if (value === null) throw new ConfigError(`${name} has no value`);
  return value;
}

export function toBrokerConfig(
  config: ResolvedConfig,
  clusterIdExpected: string | null = null,
): BrokerConfig {
  const int = (name: string): number => must(configInt(config, name), name);
  const nodeIdText = config.entries.get("node.id");
  const brokerId = configInt(config, "broker.id");
  const nodeId =
    nodeIdText?.source === "default" && brokerId !== null && brokerId >= 0 ? brokerId : int("node.id");
  const cluster = toClusterSettings({
    nodeId,
    processRoles: configText(config, "process.roles") ?? "",
    quorumVoters: configText(config, "controller.quorum.voters"),
    listeners: configText(config, "listeners") ?? "PLAINTEXT://127.0.0.1:9092",
    advertisedListeners: configText(config, "advertised.listeners"),
    controllerListenerNames: configText(config, "controller.listener.names"),
    securityProtocolMap: configText(config, "listener.security.protocol.map"),
  });
  const listener = cluster.clientListener;
  // Every SASL listener is checked, bound or not, so a config that names one is whole.
  const saslTexts = {
    enabledMechanisms: configText(config, "sasl.enabled.mechanisms"),
    property: (name: string) => configText(config, name),
  };
  const saslListeners = new Map<string, ListenerSasl>();
  const tlsListeners = new Map<string, ListenerTls>();
  const sslProperty = (name: string) => configText(config, name);
  for (const [name, protocol] of cluster.securityProtocols) {
    if (protocol === "SASL_PLAINTEXT" || protocol === "SASL_SSL")
      saslListeners.set(name, toListenerSasl(name, saslTexts));
    if (protocol === "SSL" || protocol === "SASL_SSL") {
      const sasl = protocol === "SASL_SSL";
      tlsListeners.set(name, toListenerTls(name, { property: sslProperty, nowMs: Date.now(), sasl }));
    }
  }
  const interBroker = toInterBrokerSettings(cluster, {
    listenerName: configText(config, "inter.broker.listener.name"),
    securityProtocol: configText(config, "security.inter.broker.protocol"),
    saslMechanism: configText(config, "sasl.mechanism.inter.broker.protocol"),
    property: (name) => configText(config, name),
    sasl: saslListeners,
    tls: tlsListeners,
    unboundListener: (name) => {
      const securityProtocol = parseSecurityProtocolMap(
        configText(config, "listener.security.protocol.map"),
        cluster.controllerListenerNames,
      ).get(name);
      if (securityProtocol === undefined) return null;
      const isSasl = securityProtocol === "SASL_PLAINTEXT" || securityProtocol === "SASL_SSL";
      const isSsl = securityProtocol === "SSL" || securityProtocol === "SASL_SSL";
      return {
        securityProtocol,
        sasl: isSasl ? toListenerSasl(name, saslTexts) : null,
        tls: isSsl
          ? toListenerTls(name, {
              property: sslProperty,
              nowMs: Date.now(),
              sasl: securityProtocol === "SASL_SSL",
            })
          : null,
      };
    },
  });
  // Unset advertised.listeners leaves the listener's own address; its port 0 (--port 0) then means
  // the port the OS picked, which the server advertises once bound.
  let advertised =
    configText(config, "advertised.listeners") === null
      ? listener
      : (cluster.advertisedListeners.find((l) => l.name === listener.name) ??
        cluster.advertisedListeners[0]!);
  // Clients cannot connect to a wildcard address, so advertise loopback when listening everywhere.
  const connectable = (host: string): string => (host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host);
  if (connectable(advertised.host) !== advertised.host)
    advertised = { ...advertised, host: connectable(advertised.host) };
  const advertisedByName = new Map(cluster.advertisedListeners.map((l) => [l.name, l]));
  const servedListeners = cluster.listeners.map((l): ServedListener => {
    // The client listener keeps the address it always advertised; another listener its own entry, or
    // its own address when advertised.listeners leaves it out (controller listeners always).
    const own = l === listener ? advertised : (advertisedByName.get(l.name) ?? l);
    return {
      name: l.name,
      host: l.host,
      port: l.port,
      securityProtocol: cluster.securityProtocols.get(l.name)!,
      controller: cluster.controllerListenerNames.includes(l.name),
      advertisedHost: connectable(own.host),
      advertisedPort: own.port,
      sasl: saslListeners.get(l.name) ?? null,
      tls: tlsListeners.get(l.name) ?? null,
    };
  });
  const dataDir = (configText(config, "log.dirs") ?? configText(config, "log.dir") ?? "./data")
    .split(",")[0]!
    .trim();
  if (dataDir === "") throw new ConfigError("log.dirs is empty");
  const hoursToMs = 3_600_000;
  const retentionMs =
    configInt(config, "log.retention.ms") ??
    (configInt(config, "log.retention.minutes") !== null
      ? int("log.retention.minutes") * 60_000
      : int("log.retention.hours") * hoursToMs);
  const rollMs = configInt(config, "log.roll.ms") ?? int("log.roll.hours") * hoursToMs;
  const sessionMin = int("group.min.session.timeout.ms");
  const sessionMax = int("group.max.session.timeout.ms");
  if (sessionMin > sessionMax) {
    throw new ConfigError("group.min.session.timeout.ms must not exceed group.max.session.timeout.ms");
  }
  const heartbeatIntervalMs = int("broker.heartbeat.interval.ms");
  const sessionTimeoutMs = int("broker.session.timeout.ms");
  return {
    nodeId,
    servedListeners,
    listener,
    advertised,
    sasl: saslListeners.get(listener.name) ?? null,
    saslReceiveBytesMax: int("sasl.server.max.receive.size"),
    failedAuthenticationDelayMs: int("connection.failed.authentication.delay.ms"),
    processRoles: cluster.processRoles,
    quorumVoters: cluster.quorumVoters,
    listeners: cluster.listeners,
    advertisedListeners: cluster.advertisedListeners,
    controllerListenerNames: cluster.controllerListenerNames,
    interBroker,
    offsetsTopicReplicationFactor: int("offsets.topic.replication.factor"),
    offsetsTopicPartitions: int("offsets.topic.num.partitions"),
    brokerSessionTimeoutMs: sessionTimeoutMs,
    brokerHeartbeatIntervalMs: heartbeatIntervalMs,
    clusterIdExpected,
    dataDir,
    storageEngine: configText(config, "eddy.storage.engine") === "memory" ? "memory" : "fs",
    partitionCountDefault: int("num.partitions"),
    replicationFactorDefault: int("default.replication.factor"),
    autoCreateTopicsEnable: configBool(config, "auto.create.topics.enable"),
    deleteTopicEnable: configBool(config, "delete.topic.enable"),
    minInsyncReplicas: int("min.insync.replicas"),
    uncleanLeaderElectionEnable: configBool(config, "unclean.leader.election.enable"),
    testFaultInjectionEnable: configBool(config, "eddy.test.fault.injection.enable"),
    replicaLagMsMax: int("replica.lag.time.max.ms"),
    fetchSessionCacheSlotsMax: int("max.incremental.fetch.session.cache.slots"),
    fetchSessionEvictionMs: int("min.incremental.fetch.session.eviction.ms"),
    segmentBytesMax: int("log.segment.bytes"),
    tailCacheBytesMax: int("eddy.log.tail.cache.bytes"),
    indexCacheBytesMax: int("eddy.log.index.cache.bytes"),
    collectIntervalBytes: int("eddy.heap.collect.interval.bytes"),
    rollMs,
    retentionMs: retentionMs < 0 ? -1 : retentionMs,
    retentionBytesMax: int("log.retention.bytes"),
    retentionCheckIntervalMs: int("log.retention.check.interval.ms"),
    indexIntervalBytes: int("log.index.interval.bytes"),
    flushIntervalMessages: int("log.flush.interval.messages"),
    flushIntervalMs: configInt(config, "log.flush.interval.ms") ?? Number.POSITIVE_INFINITY,
    messageBytesMax: int("message.max.bytes"),
    requestBytesMax: int("socket.request.max.bytes"),
    connectionsMax: int("max.connections"),
    inflightRequestsMax: int("queued.max.requests"),
    offsetsRetentionMs: int("offsets.retention.minutes") * 60_000,
    groupInitialRebalanceDelayMs: int("group.initial.rebalance.delay.ms"),
    groupSessionTimeoutMsMin: sessionMin,
    groupSessionTimeoutMsMax: sessionMax,
    groupMembersMax: int("group.max.size"),
    producerIdExpirationMs: int("producer.id.expiration.ms"),
    adminPort: int("admin.port"),
    authorizer: toAuthorizerSettings(config),
  };
}
