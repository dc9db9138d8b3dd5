import { describe, expect, test } from "bun:test";
import { parseCli } from "./cli.ts";
import { ConfigError } from "./resolve.ts";

/** A combined node 1 of a three-voter quorum, as a user writes it on the command line. */
const combined = (nodeId = 1, extra: string[] = []): string[] => [
  "--node-id",
  String(nodeId),
  "--override",
  "process.roles=broker,controller",
  "--override",
  "controller.quorum.voters=1@127.0.0.1:19092,2@127.0.0.1:19093,3@127.0.0.1:19094",
  "--override",
  `listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:1909${nodeId + 1}`,
  "--override",
  "controller.listener.names=CONTROLLER",
  ...extra,
];

describe("KRaft cluster settings", () => {
  test("no flags: the cluster of one it has always been, with Kafka's defaults", () => {
    const { config } = parseCli([], {});
    expect(config.processRoles).toEqual(["broker", "controller"]);
    expect(config.quorumVoters).toEqual([]);
    expect(config.listeners).toEqual([{ name: "PLAINTEXT", host: "127.0.0.1", port: 9092 }]);
    expect(config.listener).toBe(config.advertised);
    expect(config.controllerListenerNames).toEqual([]);
    expect(config.replicationFactorDefault).toBe(1);
    expect(config.minInsyncReplicas).toBe(1);
    expect(config.offsetsTopicReplicationFactor).toBe(3);
    expect(config.replicaLagMsMax).toBe(30_000);
    expect(config.brokerSessionTimeoutMs).toBe(9_000);
    expect(config.brokerHeartbeatIntervalMs).toBe(2_000);
    expect(config.uncleanLeaderElectionEnable).toBe(false);
  });

  test("a combined node of three: voters, several listeners, the client listener and the settings", () => {
    const { config } = parseCli(
      combined(2, [
        "--override",
        "default.replication.factor=3",
        "--override",
        "min.insync.replicas=2",
        "--override",
        "offsets.topic.replication.factor=3",
        "--override",
        "replica.lag.time.max.ms=10000",
        "--override",
        "broker.session.timeout.ms=6000",
        "--override",
        "broker.heartbeat.interval.ms=1000",
        "--override",
        "unclean.leader.election.enable=true",
      ]),
      {},
    );
    expect(config.nodeId).toBe(2);
    expect(config.quorumVoters).toEqual([
      { nodeId: 1, host: "127.0.0.1", port: 19092 },
      { nodeId: 2, host: "127.0.0.1", port: 19093 },
      { nodeId: 3, host: "127.0.0.1", port: 19094 },
    ]);
    expect(config.listeners.map((l) => `${l.name}:${l.port}`)).toEqual([
      "PLAINTEXT:9092",
      "CONTROLLER:19093",
    ]);
    expect(config.listener).toEqual({ name: "PLAINTEXT", host: "127.0.0.1", port: 9092 });
    // Controller listeners are never advertised to clients.
    expect(config.advertisedListeners.map((l) => l.name)).toEqual(["PLAINTEXT"]);
    expect(config.controllerListenerNames).toEqual(["CONTROLLER"]);
    expect(config.replicationFactorDefault).toBe(3);
    expect(config.minInsyncReplicas).toBe(2);
    expect(config.replicaLagMsMax).toBe(10_000);
    expect(config.brokerSessionTimeoutMs).toBe(6_000);
    expect(config.brokerHeartbeatIntervalMs).toBe(1_000);
    expect(config.uncleanLeaderElectionEnable).toBe(true);
  });

  test("the controller listener may come first; --port edits the client listener only", () => {
    const { config } = parseCli(
      [
        ...combined(1),
        "--override",
        "listeners=CONTROLLER://127.0.0.1:19092,PLAINTEXT://127.0.0.1:9092",
        "--port",
        "0",
      ],
      {},
    );
    expect(config.listener).toEqual({ name: "PLAINTEXT", host: "127.0.0.1", port: 0 });
    expect(config.listeners.find((l) => l.name === "CONTROLLER")?.port).toBe(19092);
  });

  test("advertised.listeners picks the client listener's name among several", () => {
    const { config } = parseCli(
      [
        "--override",
        "listeners=INTERNAL://0.0.0.0:9092,EXTERNAL://0.0.0.0:9093",
        "--override",
        "listener.security.protocol.map=INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT",
        "--override",
        "advertised.listeners=EXTERNAL://kafka.example:19093,INTERNAL://10.0.0.5:9092",
      ],
      {},
    );
    expect(config.listener.name).toBe("INTERNAL");
    expect(config.advertised).toEqual({ name: "INTERNAL", host: "10.0.0.5", port: 9092 });
    expect(config.advertisedListeners).toHaveLength(2);
  });

  test("a broker-only and a controller-only node, as Kafka requires them", () => {
    const voters = ["--override", "controller.quorum.voters=1@h1:19092,2@h2:19092,3@h3:19092"];
    const broker = parseCli(
      [
        "--node-id",
        "4",
        "--override",
        "process.roles=broker",
        ...voters,
        "--override",
        "controller.listener.names=CONTROLLER",
      ],
      {},
    ).config;
    expect(broker.processRoles).toEqual(["broker"]);
    const controllerOnly = parseCli(
      [
        "--node-id",
        "3",
        "--override",
        "process.roles=controller",
        ...voters,
        "--override",
        "listeners=CONTROLLER://0.0.0.0:19092",
        "--override",
        "controller.listener.names=CONTROLLER",
      ],
      {},
    ).config;
    expect(controllerOnly.processRoles).toEqual(["controller"]);
    expect(controllerOnly.advertisedListeners).toEqual([]);
  });

  const refused: [string, string[], RegExp][] = [
    [
      "an unknown role",
      ["--override", "process.roles=broker,leader"],
      /process.roles: unknown role "leader"/,
    ],
    [
      "a duplicate role",
      ["--override", "process.roles=broker,broker"],
      /process.roles: duplicate role "broker"/,
    ],
    ["no roles", ["--override", "process.roles= , "], /process.roles must name broker, controller or both/],
    [
      "a broker-only node without voters",
      ["--override", "process.roles=broker"],
      /process.roles=broker needs controller.quorum.voters/,
    ],
    [
      "a voter entry without an id",
      ["--override", "controller.quorum.voters=127.0.0.1:19092"],
      /controller.quorum.voters: "127.0.0.1:19092" must be of the form \{id\}@\{host\}:\{port\}/,
    ],
    [
      "a voter without a port",
      ["--override", "controller.quorum.voters=1@localhost"],
      /controller.quorum.voters: "1@localhost" must end in host:port/,
    ],
    [
      "a voter port out of range",
      ["--override", "controller.quorum.voters=1@localhost:70000"],
      /controller.quorum.voters: "1@localhost:70000" has port 70000/,
    ],
    [
      "voter ids twice",
      ["--override", "controller.quorum.voters=1@a:1,1@b:2"],
      /controller.quorum.voters: voter id 1 appears twice/,
    ],
    [
      "a controller that is not a voter",
      combined(1, ["--override", "controller.quorum.voters=2@a:19092,3@b:19092"]),
      /node id 1 must be included in the set of voters controller.quorum.voters=2,3/,
    ],
    [
      "a controller without a CONTROLLER listener",
      combined(1, ["--override", "listeners=PLAINTEXT://127.0.0.1:9092"]),
      /controller.listener.names must contain at least one value appearing in the 'listeners'/,
    ],
    [
      "a controller listener name missing from listeners",
      combined(1, ["--override", "controller.listener.names=CONTROLLER,CTRL2"]),
      /controller.listener.names must only contain values appearing in the 'listeners'/,
    ],
    [
      "voters without controller.listener.names",
      [...combined(1), "--override", "controller.listener.names="],
      /controller.listener.names must name the controller listener/,
    ],
    [
      "a broker-only node among the voters",
      [
        "--node-id",
        "1",
        "--override",
        "process.roles=broker",
        "--override",
        "controller.quorum.voters=1@a:19092",
        "--override",
        "controller.listener.names=CONTROLLER",
      ],
      /just the 'broker' role, the node id 1 must not be included in the set of voters/,
    ],
    [
      "a broker-only node listening on a controller listener",
      [
        "--node-id",
        "4",
        "--override",
        "process.roles=broker",
        "--override",
        "controller.quorum.voters=1@a:19092",
        "--override",
        "controller.listener.names=CONTROLLER",
        "--override",
        "listeners=PLAINTEXT://:9092,CONTROLLER://:19092",
      ],
      /must not contain a value appearing in the 'listeners' configuration when running KRaft with just the broker role/,
    ],
    [
      "a controller-only node with a client listener",
      [
        "--override",
        "process.roles=controller",
        "--override",
        "controller.quorum.voters=1@a:19092",
        "--override",
        "controller.listener.names=CONTROLLER",
        "--override",
        "listeners=PLAINTEXT://:9092,CONTROLLER://:19092",
      ],
      /listeners config must only contain KRaft controller listeners/,
    ],
    [
      "a controller-only node with advertised.listeners",
      [
        "--override",
        "process.roles=controller",
        "--override",
        "controller.quorum.voters=1@a:19092",
        "--override",
        "controller.listener.names=CONTROLLER",
        "--override",
        "listeners=CONTROLLER://:19092",
        "--override",
        "advertised.listeners=CONTROLLER://a:19092",
      ],
      /advertised.listeners config must be empty when process.roles=controller/,
    ],
    [
      "advertising a controller listener",
      combined(1, ["--override", "advertised.listeners=PLAINTEXT://a:9092,CONTROLLER://a:19092"]),
      /advertised.listeners config must not contain KRaft controller listeners/,
    ],
    [
      "advertising a listener name that is not listened on",
      ["--override", "advertised.listeners=OTHER://a:9092"],
      /advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found OTHER/,
    ],
    [
      "two listeners of one name",
      ["--override", "listeners=PLAINTEXT://:9092,plaintext://:9093"],
      /listeners: each listener must have a different name, PLAINTEXT repeats/,
    ],
    [
      "two listeners on one port",
      [
        "--override",
        "listeners=PLAINTEXT://:9092,CONTROLLER://:9092",
        "--override",
        "controller.listener.names=CONTROLLER",
      ],
      /listeners: each listener must have a different port, 9092 repeats/,
    ],
    [
      "a listener name without a security protocol",
      ["--override", "listeners=INTERNAL://:9092"],
      /no security protocol defined for listener INTERNAL/,
    ],
    [
      "a TLS listener without a PEM key store",
      ["--override", "listeners=SSL://:9093"],
      /listener SSL: ssl.keystore.type=JKS; Eddy reads PEM key stores only/,
    ],
    [
      "a malformed protocol map",
      ["--override", "listener.security.protocol.map=INTERNAL"],
      /listener.security.protocol.map: "INTERNAL" must be of the form NAME:PROTOCOL/,
    ],
    [
      "a malformed listener",
      ["--override", "listeners=127.0.0.1:9092"],
      /listeners must look like PLAINTEXT:\/\/host:port, got "127.0.0.1:9092"/,
    ],
    [
      "replication factor 0",
      ["--override", "default.replication.factor=0"],
      /default.replication.factor must be at least 1/,
    ],
    [
      "min.insync.replicas 0",
      ["--override", "min.insync.replicas=0"],
      /min.insync.replicas must be at least 1/,
    ],
    [
      "offsets.topic.replication.factor 0",
      ["--override", "offsets.topic.replication.factor=0"],
      /offsets.topic.replication.factor must be at least 1/,
    ],
    [
      "replica.lag.time.max.ms 0",
      ["--override", "replica.lag.time.max.ms=0"],
      /replica.lag.time.max.ms must be at least 1/,
    ],
    [
      "broker.session.timeout.ms not a number",
      ["--override", "broker.session.timeout.ms=soon"],
      /broker.session.timeout.ms expected an integer/,
    ],
    [
      "broker.heartbeat.interval.ms 0",
      ["--override", "broker.heartbeat.interval.ms=0"],
      /broker.heartbeat.interval.ms must be at least 1/,
    ],
    [
      "unclean.leader.election.enable not a boolean",
      ["--override", "unclean.leader.election.enable=yes"],
      /unclean.leader.election.enable expected true or false/,
    ],
  ];
  for (const [what, argv, message] of refused) {
    test(`refuses ${what}, naming the property`, () => {
      expect(() => parseCli(argv, {})).toThrow(ConfigError);
      expect(() => parseCli(argv, {})).toThrow(message);
    });
  }

  test("the same settings from a KAFKA_ environment, as Kafka's container image reads them", () => {
    const { config } = parseCli([], {
      KAFKA_NODE_ID: "3",
      KAFKA_PROCESS_ROLES: "broker,controller",
      KAFKA_CONTROLLER_QUORUM_VOTERS: "1@k1:9093,2@k2:9093,3@k3:9093",
      KAFKA_LISTENERS: "PLAINTEXT://:9092,CONTROLLER://:9093",
      KAFKA_ADVERTISED_LISTENERS: "PLAINTEXT://k3:9092",
      KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    });
    expect(config.nodeId).toBe(3);
    expect(config.listener).toEqual({ name: "PLAINTEXT", host: "0.0.0.0", port: 9092 });
    expect(config.advertised).toEqual({ name: "PLAINTEXT", host: "k3", port: 9092 });
    expect(config.quorumVoters.map((v) => v.host)).toEqual(["k1", "k2", "k3"]);
  });
});
