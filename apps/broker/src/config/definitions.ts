/**
 * The broker's configuration keys, with Kafka's names, types and defaults.
 * Owns the table only: what each key means and how its text is checked. Resolution (which source wins)
 * lives in `resolve.ts`. Names follow Kafka exactly so a user's `server.properties` works unchanged.
 */

export type ConfigType = "int" | "long" | "boolean" | "string" | "list" | "enum";

export interface ConfigDefinition {
  readonly name: string;
  readonly type: ConfigType;
  /** Default as Kafka documents it, in text form; `null` means "unset". */
  readonly defaultText: string | null;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  readonly doc: string;
}

const i32Max = 2_147_483_647;
const i64MaxText = "9223372036854775807";

export const configDefinitions: readonly ConfigDefinition[] = [
  { name: "node.id", type: "int", defaultText: "1", min: 0, max: i32Max, doc: "This node's id." },
  { name: "broker.id", type: "int", defaultText: null, min: -1, max: i32Max, doc: "Alias of node.id." },
  {
    name: "listeners",
    type: "string",
    defaultText: "PLAINTEXT://127.0.0.1:9092",
    doc: "Where the broker listens, as NAME://host:port.",
  },
  {
    name: "advertised.listeners",
    type: "string",
    defaultText: null,
    doc: "Where clients are told to connect; defaults to listeners.",
  },
  { name: "log.dirs", type: "string", defaultText: null, doc: "Data directory (first of a list)." },
  { name: "log.dir", type: "string", defaultText: "./data", doc: "Data directory when log.dirs is unset." },
  {
    name: "eddy.storage.engine",
    type: "enum",
    defaultText: "fs",
    values: ["fs", "memory"],
    doc: "Storage engine: fs keeps data on disk, memory is for throwaway runs.",
  },
  {
    name: "num.partitions",
    type: "int",
    defaultText: "1",
    min: 1,
    max: 100_000,
    doc: "Partitions of auto-created topics.",
  },
  {
    name: "default.replication.factor",
    type: "int",
    defaultText: "1",
    min: 1,
    max: 32_767,
    doc: "Replication factor of auto-created topics.",
  },
  {
    name: "auto.create.topics.enable",
    type: "boolean",
    defaultText: "true",
    doc: "Create unknown topics on Metadata.",
  },
  { name: "delete.topic.enable", type: "boolean", defaultText: "true", doc: "Allow DeleteTopics." },
  {
    name: "min.insync.replicas",
    type: "int",
    defaultText: "1",
    min: 1,
    max: 32_767,
    doc: "Replicas needed for acks=all.",
  },
  {
    name: "unclean.leader.election.enable",
    type: "boolean",
    defaultText: "false",
    doc: "Allow a leader from outside the ISR.",
  },
  {
    name: "replica.lag.time.max.ms",
    type: "long",
    defaultText: "30000",
    min: 1,
    doc: "Follower lag before ISR shrink.",
  },
  {
    name: "max.incremental.fetch.session.cache.slots",
    type: "int",
    defaultText: "1000",
    min: 0,
    max: 100_000,
    doc: "Incremental fetch sessions (KIP-227) the broker keeps at most; 0 makes every fetch sessionless.",
  },
  {
    name: "min.incremental.fetch.session.eviction.ms",
    type: "int",
    defaultText: "120000",
    min: 0,
    max: i32Max,
    doc: "An incremental fetch session unused this long may be evicted for a new one.",
  },
  {
    name: "log.segment.bytes",
    type: "int",
    defaultText: "1073741824",
    min: 14,
    max: i32Max,
    doc: "Segment size.",
  },
  {
    name: "eddy.log.tail.cache.bytes",
    type: "long",
    defaultText: "16777216",
    min: 0,
    doc: "Bytes of recent batches all partitions together serve from memory (0: read everything from the log files).",
  },
  {
    name: "eddy.log.index.cache.bytes",
    type: "long",
    defaultText: "8388608",
    min: 0,
    doc: "Bytes of index entries (.index and .timeindex) of inactive segments all partitions together keep in memory; the segment looked up longest ago drops them first and reads its index files again at its next lookup (0: read them at every lookup in an inactive segment).",
  },
  {
    name: "eddy.heap.collect.interval.bytes",
    type: "long",
    defaultText: "16777216",
    min: 0,
    doc: "Request bytes received between requests for a concurrent garbage collection, which keeps dead request buffers from growing the process while it takes writes (0: leave it to the runtime).",
  },
  {
    name: "eddy.test.fault.injection.enable",
    type: "boolean",
    defaultText: "false",
    doc: "Test only: arms POST /v1/faults on the admin listener, which cuts this node off from named peers. Never in production.",
  },
  { name: "log.roll.ms", type: "long", defaultText: null, min: 1, doc: "Roll a segment after this long." },
  {
    name: "log.roll.hours",
    type: "int",
    defaultText: "168",
    min: 1,
    max: i32Max,
    doc: "log.roll.ms in hours.",
  },
  {
    name: "log.retention.ms",
    type: "long",
    defaultText: null,
    min: -1,
    doc: "Delete segments older than this.",
  },
  {
    name: "log.retention.minutes",
    type: "int",
    defaultText: null,
    min: -1,
    max: i32Max,
    doc: "Retention in minutes.",
  },
  {
    name: "log.retention.hours",
    type: "int",
    defaultText: "168",
    min: -1,
    max: i32Max,
    doc: "Retention in hours.",
  },
  {
    name: "log.retention.bytes",
    type: "long",
    defaultText: "-1",
    min: -1,
    doc: "Retention by partition size.",
  },
  {
    name: "log.retention.check.interval.ms",
    type: "long",
    defaultText: "300000",
    min: 1,
    doc: "How often retention runs.",
  },
  {
    name: "log.index.interval.bytes",
    type: "int",
    defaultText: "4096",
    min: 0,
    max: i32Max,
    doc: "Index density.",
  },
  {
    name: "log.index.size.max.bytes",
    type: "int",
    defaultText: "10485760",
    min: 4,
    max: i32Max,
    doc: "Index file size.",
  },
  {
    name: "log.flush.interval.messages",
    type: "long",
    defaultText: i64MaxText,
    min: 1,
    doc: "fsync after this many messages.",
  },
  { name: "log.flush.interval.ms", type: "long", defaultText: null, min: 0, doc: "fsync after this long." },
  {
    name: "message.max.bytes",
    type: "int",
    defaultText: "1048588",
    min: 0,
    max: i32Max,
    doc: "Largest record batch.",
  },
  {
    name: "socket.request.max.bytes",
    type: "int",
    defaultText: "104857600",
    min: 1,
    max: i32Max,
    doc: "Largest request frame.",
  },
  {
    name: "max.connections",
    type: "int",
    defaultText: "10000",
    min: 1,
    max: i32Max,
    doc: "Open connections limit.",
  },
  {
    name: "admin.port",
    type: "int",
    defaultText: "9644",
    min: 0,
    max: 65_535,
    doc: "Port of the admin HTTP listener (/metrics, /healthz, /readyz, /api/v1, the console) on the client listener's host; 0 turns it off (Redpanda's 9644).",
  },
  {
    name: "queued.max.requests",
    type: "int",
    defaultText: "500",
    min: 1,
    max: 100_000,
    doc: "In-flight requests per connection.",
  },
  {
    name: "offsets.retention.minutes",
    type: "int",
    defaultText: "10080",
    min: 1,
    max: i32Max,
    doc: "Offset expiry.",
  },
  {
    name: "group.initial.rebalance.delay.ms",
    type: "int",
    defaultText: "3000",
    min: 0,
    max: i32Max,
    doc: "Wait for more members before the first rebalance.",
  },
  {
    name: "group.min.session.timeout.ms",
    type: "int",
    defaultText: "6000",
    min: 0,
    max: i32Max,
    doc: "Session min.",
  },
  {
    name: "group.max.session.timeout.ms",
    type: "int",
    defaultText: "1800000",
    min: 0,
    max: i32Max,
    doc: "Session max.",
  },
  {
    name: "group.max.size",
    type: "int",
    defaultText: "1000",
    min: 1,
    max: i32Max,
    doc: "Members per group.",
  },
  {
    name: "producer.id.expiration.ms",
    type: "int",
    defaultText: "86400000",
    min: 1,
    max: i32Max,
    doc: "Forget idle producer ids after this long.",
  },
  {
    name: "process.roles",
    type: "list",
    defaultText: "broker,controller",
    doc: "KRaft roles of this node; a single node is both.",
  },
  {
    name: "controller.quorum.voters",
    type: "list",
    defaultText: null,
    doc: "Controller voters as id@host:port; unset, the node is a cluster of one.",
  },
  {
    name: "controller.listener.names",
    type: "list",
    defaultText: null,
    doc: "Names of the listeners the controller serves (e.g. CONTROLLER).",
  },
  {
    name: "listener.security.protocol.map",
    type: "list",
    defaultText: null,
    doc: "Security protocol of each listener name, as NAME:PROTOCOL (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL).",
  },
  {
    name: "authorizer.class.name",
    type: "string",
    defaultText: null,
    doc: "The ACL authorizer: org.apache.kafka.metadata.authorizer.StandardAuthorizer turns ACLs on; unset, every request is allowed.",
  },
  {
    name: "super.users",
    type: "string",
    defaultText: null,
    doc: "Principals allowed everything whatever the ACLs say, separated by semicolons (User:alice;User:bob).",
  },
  {
    name: "allow.everyone.if.no.acl.found",
    type: "boolean",
    defaultText: "false",
    doc: "With the authorizer on, allow every principal on a resource that no ACL names.",
  },
  {
    name: "inter.broker.listener.name",
    type: "string",
    defaultText: null,
    doc: "The listener nodes use for each other's broker traffic (replication, forwarded controller requests, pushed images); unset, the listener security.inter.broker.protocol names, or the first listener that is not a controller listener.",
  },
  {
    name: "security.inter.broker.protocol",
    type: "enum",
    defaultText: null,
    values: ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"],
    doc: "Kafka's alternative to inter.broker.listener.name: the listener named after this protocol. Setting both is an error.",
  },
  {
    name: "sasl.mechanism.inter.broker.protocol",
    type: "string",
    defaultText: null,
    doc: "The SASL mechanism a node authenticates with on a SASL inter-broker listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512; Kafka's default GSSAPI is not served). Its username and password come from listener.name.<listener>.<mechanism>.sasl.jaas.config.",
  },
  {
    name: "sasl.enabled.mechanisms",
    type: "list",
    defaultText: null,
    doc: "SASL mechanisms of SASL listeners: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (Kafka's default, GSSAPI, is not served).",
  },
  {
    name: "sasl.server.max.receive.size",
    type: "int",
    defaultText: "524288",
    min: 1,
    max: i32Max,
    doc: "The largest frame a SASL listener reads before the connection has authenticated.",
  },
  {
    name: "connection.failed.authentication.delay.ms",
    type: "int",
    defaultText: "100",
    min: 0,
    max: i32Max,
    doc: "How long a failed authentication waits before its answer and the close (slows password guessing).",
  },
  {
    name: "ssl.keystore.type",
    type: "string",
    defaultText: "JKS",
    doc: "Format of the key store of SSL and SASL_SSL listeners; Eddy reads PEM only (Kafka's default is JKS).",
  },
  {
    name: "ssl.keystore.location",
    type: "string",
    defaultText: null,
    doc: "A PEM file holding the listener's private key and its certificate chain.",
  },
  {
    name: "ssl.keystore.password",
    type: "string",
    defaultText: null,
    doc: "Not supported with PEM key stores, as in Kafka (use ssl.key.password for an encrypted key).",
  },
  {
    name: "ssl.keystore.certificate.chain",
    type: "string",
    defaultText: null,
    doc: "The listener's certificate chain as inline PEM (with ssl.keystore.key).",
  },
  {
    name: "ssl.keystore.key",
    type: "string",
    defaultText: null,
    doc: "The listener's private key as inline PEM (with ssl.keystore.certificate.chain).",
  },
  {
    name: "ssl.key.password",
    type: "string",
    defaultText: null,
    doc: "The password of an encrypted private key in the key store.",
  },
  {
    name: "ssl.truststore.type",
    type: "string",
    defaultText: "JKS",
    doc: "Format of the trust store for client certificates; Eddy reads PEM only.",
  },
  {
    name: "ssl.truststore.location",
    type: "string",
    defaultText: null,
    doc: "A PEM file of the CA certificates that client certificates must chain to.",
  },
  {
    name: "ssl.truststore.password",
    type: "string",
    defaultText: null,
    doc: "Not supported with PEM trust stores.",
  },
  {
    name: "ssl.truststore.certificates",
    type: "string",
    defaultText: null,
    doc: "The trusted CA certificates as inline PEM.",
  },
  {
    name: "ssl.client.auth",
    type: "string",
    defaultText: "none",
    doc: "Client certificates on SSL listeners: none, requested (verified when sent) or required.",
  },
  {
    name: "offsets.topic.replication.factor",
    type: "int",
    defaultText: "3",
    min: 1,
    max: 32_767,
    doc: "Replication factor of the offsets topic.",
  },
  {
    name: "offsets.topic.num.partitions",
    type: "int",
    defaultText: "50",
    min: 1,
    max: 1_000,
    doc: "Partitions of the offsets topic (__consumer_offsets) in a cluster; a group's coordinator leads one.",
  },
  {
    name: "broker.session.timeout.ms",
    type: "int",
    defaultText: "9000",
    min: 1,
    max: i32Max,
    doc: "A broker whose heartbeats stop this long is fenced.",
  },
  {
    name: "broker.heartbeat.interval.ms",
    type: "int",
    defaultText: "2000",
    min: 1,
    max: i32Max,
    doc: "How often a broker heartbeats the controller.",
  },
];

/**
 * Kafka keys that are valid in a real `server.properties` but mean nothing to Eddy yet; they are
 * accepted with a notice so an existing file still starts the broker.
 */
export const acceptedIgnoredNames: ReadonlySet<string> = new Set([
  "zookeeper.connect",
  "zookeeper.connection.timeout.ms",
  "num.network.threads",
  "num.io.threads",
  "num.recovery.threads.per.data.dir",
  "socket.send.buffer.bytes",
  "socket.receive.buffer.bytes",
  "transaction.state.log.replication.factor",
  "transaction.state.log.min.isr",
  "log.cleaner.enable",
  "log.cleanup.policy",
  "compression.type",
  "group.coordinator.rebalance.protocols",
  "share.coordinator.state.topic.replication.factor",
  "share.coordinator.state.topic.min.isr",
  "controller.quorum.bootstrap.servers",
]);

export const definitionsByName: ReadonlyMap<string, ConfigDefinition> = new Map(
  configDefinitions.map((d) => [d.name, d]),
);

/**
 * Listener-prefixed SASL keys, read by `sasl-settings.ts`: `listener.name.<l>.sasl.enabled.mechanisms`
 * and `listener.name.<l>.<mechanism>.sasl.jaas.config` (the listener name in lower case, as Kafka).
 */
export const listenerSaslPropertyPattern =
  /^listener\.name\.[a-z0-9_]+\.(?:sasl\.enabled\.mechanisms|(?:plain|scram-sha-256|scram-sha-512)\.sasl\.jaas\.config)$/;

/**
 * Listener-prefixed SSL keys, read by `ssl-settings.ts`: `listener.name.<l>.ssl.<key>` for each
 * `ssl.*` key above (the listener name in lower case, as Kafka); each overrides its unprefixed key.
 */
export const listenerSslPropertyPattern =
  /^listener\.name\.[a-z0-9_]+\.ssl\.(?:keystore\.(?:type|location|password|certificate\.chain|key)|key\.password|truststore\.(?:type|location|password|certificates)|client\.auth)$/;

/** The definition of a key: one of the table, or a listener-prefixed SASL or SSL key (a string). */
export function definitionFor(name: string): ConfigDefinition | undefined {
  const def = definitionsByName.get(name);
  if (def !== undefined) return def;
  if (listenerSaslPropertyPattern.test(name))
    return { name, type: "string", defaultText: null, doc: "A listener's SASL setting." };
  if (listenerSslPropertyPattern.test(name))
    return { name, type: "string", defaultText: null, doc: "A listener's SSL setting." };
  return undefined;
}
