/**
 * The inter-broker listener as users configure it (Kafka's `inter.broker.listener.name`,
 * `security.inter.broker.protocol`, `sasl.mechanism.inter.broker.protocol` and the JAAS `username` and
 * `password` options) and each refusal, which names the property and never a password. Certificates
 * come from /usr/bin/openssl (test/tls-fixture.ts).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { configOfOverrides as configOf, overridesRefusal as refusal } from "../../test/config-overrides.ts";
import { removeDir, tempDir } from "../../test/harness.ts";
import { makeCertificates } from "../../test/tls-fixture.ts";
import { interBrokerSecurity } from "./inter-broker-settings.ts";

const dir = tempDir("inter-broker-settings");
const certs = makeCertificates(dir);
afterAll(() => removeDir(dir));

const jaas = (options: string) =>
  `listener.name.internal.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${options};`;
const internal = [
  "listeners=PLAINTEXT://127.0.0.1:9092,INTERNAL://127.0.0.1:9094",
  "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:SASL_SSL",
  "ssl.keystore.type=PEM",
  `ssl.keystore.location=${certs.serverKeystore}`,
  "ssl.truststore.type=PEM",
  `ssl.truststore.location=${certs.caPem}`,
  "sasl.enabled.mechanisms=PLAIN",
];
const plainCredentials = jaas('username="broker" password="broker-secret" user_broker="broker-secret"');

describe("inter-broker listener", () => {
  test("unset, it is the first listener that is not a controller listener, not explicit, with nothing to present", () => {
    const config = configOf([
      "listeners=PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.1:9093",
      "ssl.keystore.type=PEM",
      `ssl.keystore.location=${certs.serverKeystore}`,
    ]);
    expect(config.interBroker).toEqual({
      listenerName: "PLAINTEXT",
      explicit: false,
      securityProtocol: "PLAINTEXT",
      tls: null,
      sasl: null,
    });
  });

  test("unset, Kafka's default protocol names the PLAINTEXT listener even when another comes first", () => {
    const config = configOf([
      "listeners=SSL://127.0.0.1:9093,PLAINTEXT://127.0.0.1:9092",
      "ssl.keystore.type=PEM",
      `ssl.keystore.location=${certs.serverKeystore}`,
    ]);
    expect(config.interBroker?.listenerName).toBe("PLAINTEXT");
    expect(config.interBroker?.explicit).toBe(false);
    // The node registers that listener's address, where its peers replicate from (cluster-link.ts).
    expect(interBrokerSecurity(config.interBroker)).toEqual({
      listenerName: "PLAINTEXT",
      tls: null,
      sasl: null,
    });
  });

  test("unset and no PLAINTEXT listener: the first broker listener, whose TLS a cluster node presents", () => {
    const sslCluster = [
      "node.id=1",
      "process.roles=broker,controller",
      "controller.quorum.voters=1@127.0.0.1:9095,2@127.0.0.1:9096",
      "listeners=CONTROLLER://127.0.0.1:9095,SSL://127.0.0.1:9093",
      "controller.listener.names=CONTROLLER",
      "ssl.keystore.type=PEM",
      `ssl.keystore.location=${certs.serverKeystore}`,
    ];
    // Its peers' SSL listener cannot be dialled without a trust store to check their certificates.
    expect(refusal(sslCluster)).toContain("ssl.truststore.location");
    const config = configOf([
      ...sslCluster,
      "ssl.truststore.type=PEM",
      `ssl.truststore.location=${certs.caPem}`,
    ]);
    expect(config.interBroker?.listenerName).toBe("SSL");
    expect(config.interBroker?.explicit).toBe(false);
    expect(config.interBroker?.tls?.trustedCertificatesPem).toContain("BEGIN CERTIFICATE");
    // A cluster of one dials no peer: an SSL-only node needs no trust store.
    const single = configOf([
      "listeners=SSL://127.0.0.1:9093",
      "ssl.keystore.type=PEM",
      `ssl.keystore.location=${certs.serverKeystore}`,
    ]);
    expect(single.interBroker).toMatchObject({ listenerName: "SSL", tls: null, sasl: null });
  });

  test("a SASL_SSL listener: the node presents its key store, trusts its trust store, authenticates as username", () => {
    const config = configOf([
      ...internal,
      "inter.broker.listener.name=INTERNAL",
      "sasl.mechanism.inter.broker.protocol=PLAIN",
      plainCredentials,
    ]);
    expect(config.interBroker?.listenerName).toBe("INTERNAL");
    expect(config.interBroker?.explicit).toBe(true);
    expect(config.interBroker?.securityProtocol).toBe("SASL_SSL");
    expect(config.interBroker?.sasl).toEqual({
      mechanism: "PLAIN",
      username: "broker",
      password: "broker-secret",
    });
    expect(config.interBroker?.tls?.trustedCertificatesPem).toContain("BEGIN CERTIFICATE");
    expect(config.interBroker?.tls?.certificateChainPem).toContain("BEGIN CERTIFICATE");
  });

  test("security.inter.broker.protocol names the listener called after the protocol", () => {
    const config = configOf([
      "listeners=PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.1:9093",
      "ssl.keystore.type=PEM",
      `ssl.keystore.location=${certs.serverKeystore}`,
      "ssl.truststore.type=PEM",
      `ssl.truststore.location=${certs.caPem}`,
      "security.inter.broker.protocol=SSL",
    ]);
    expect(config.interBroker?.listenerName).toBe("SSL");
    expect(config.interBroker?.sasl).toBeNull();
  });

  test("a SCRAM JAAS may hold only the node's own credentials", () => {
    const config = configOf([
      ...internal.map((l) => (l.startsWith("sasl.enabled") ? "sasl.enabled.mechanisms=SCRAM-SHA-256" : l)),
      "inter.broker.listener.name=INTERNAL",
      "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256",
      'listener.name.internal.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="s3cret";',
    ]);
    expect(config.interBroker?.sasl).toEqual({
      mechanism: "SCRAM-SHA-256",
      username: "broker",
      password: "s3cret",
    });
  });

  test("a controller-only node presents the brokers' inter-broker credentials; without a name it has none", () => {
    const controllerOnly = [
      "process.roles=controller",
      "node.id=9",
      "controller.quorum.voters=9@127.0.0.1:9095",
      "listeners=CONTROLLER://127.0.0.1:9095",
      "controller.listener.names=CONTROLLER",
    ];
    expect(configOf(controllerOnly).interBroker).toBeNull();
    const config = configOf([
      ...controllerOnly,
      "listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:SASL_SSL",
      ...internal.filter((l) => !l.startsWith("listeners=") && !l.startsWith("listener.security")),
      plainCredentials,
      "inter.broker.listener.name=INTERNAL",
      "sasl.mechanism.inter.broker.protocol=PLAIN",
    ]);
    expect(config.interBroker?.explicit).toBe(true);
    expect(config.interBroker?.sasl).toEqual({
      mechanism: "PLAIN",
      username: "broker",
      password: "broker-secret",
    });
    expect(config.interBroker?.tls?.trustedCertificatesPem).toContain("BEGIN CERTIFICATE");
    expect(
      refusal([
        ...controllerOnly,
        "inter.broker.listener.name=INTERNAL",
        "sasl.mechanism.inter.broker.protocol=PLAIN",
      ]),
    ).toContain(
      "inter.broker.listener.name: listener INTERNAL has no security protocol in listener.security.protocol.map",
    );
  });

  const refusals: [string, string[], string][] = [
    [
      "both the name and the protocol",
      [
        ...internal,
        plainCredentials,
        "inter.broker.listener.name=INTERNAL",
        "security.inter.broker.protocol=SASL_SSL",
      ],
      "Only one of inter.broker.listener.name and security.inter.broker.protocol should be set",
    ],
    [
      "a listener that does not exist",
      [...internal, plainCredentials, "inter.broker.listener.name=NOPE"],
      "inter.broker.listener.name: NOPE must be a listener name defined in advertised.listeners",
    ],
    [
      "a protocol with no listener of its name",
      [...internal, plainCredentials, "security.inter.broker.protocol=SSL"],
      "security.inter.broker.protocol: SSL must be a listener name",
    ],
    [
      "a SASL listener with no mechanism",
      [...internal, plainCredentials, "inter.broker.listener.name=INTERNAL"],
      "sasl.mechanism.inter.broker.protocol must be set",
    ],
    [
      "a mechanism the listener does not enable",
      [
        ...internal,
        plainCredentials,
        "inter.broker.listener.name=INTERNAL",
        "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
      ],
      "must be included in the enabled mechanisms of listener INTERNAL",
    ],
    [
      "a SASL listener with no credentials",
      [
        ...internal,
        jaas('user_broker="broker-secret"'),
        "inter.broker.listener.name=INTERNAL",
        "sasl.mechanism.inter.broker.protocol=PLAIN",
      ],
      "listener.name.internal.plain.sasl.jaas.config has no inter-broker credentials",
    ],
    [
      "a PLAIN user that is no user_ entry",
      [
        ...internal,
        jaas('username="broker" password="x" user_alice="a"'),
        "inter.broker.listener.name=INTERNAL",
        "sasl.mechanism.inter.broker.protocol=PLAIN",
      ],
      "must also be a user_broker entry",
    ],
    [
      "an SSL listener with no trust store",
      [
        ...internal.filter((l) => !l.startsWith("ssl.truststore")),
        plainCredentials,
        "inter.broker.listener.name=INTERNAL",
        "sasl.mechanism.inter.broker.protocol=PLAIN",
      ],
      "ssl.truststore.location",
    ],
  ];
  for (const [why, lines, message] of refusals) {
    test(`refuses ${why}, naming the property`, () => {
      const text = refusal(lines);
      expect(text).toContain(message);
      expect(text).not.toContain("broker-secret");
    });
  }
});
