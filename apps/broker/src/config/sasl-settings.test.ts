/**
 * SASL settings as a user writes them: SASL_PLAINTEXT listeners (by name or through
 * `listener.security.protocol.map`), `sasl.enabled.mechanisms`, and each mechanism's JAAS property.
 * Bad syntax and missing pieces are clear configuration errors, and no message repeats a password.
 */
import { describe, expect, test } from "bun:test";
import { parseCli } from "./cli.ts";
import { ConfigError } from "./resolve.ts";
import { parseJaasConfig } from "./sasl-settings.ts";

const plainJaas = (users: string) =>
  `listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${users};`;

const saslArgs = (extra: string[] = []): string[] => [
  "--override",
  "listeners=SASL_PLAINTEXT://127.0.0.1:9093",
  "--override",
  "sasl.enabled.mechanisms=PLAIN",
  "--override",
  plainJaas('user_alice="alice-secret" user_bob="bob-secret"'),
  ...extra,
];

function refusal(args: string[], env: Record<string, string> = {}): string {
  try {
    parseCli(args, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("SASL settings", () => {
  test("without any SASL setting the listener is PLAINTEXT and has no SASL", () => {
    expect(parseCli([], {}).config.sasl).toBeNull();
  });

  test("a SASL_PLAINTEXT listener with PLAIN users", () => {
    const { config } = parseCli(saslArgs(), {});
    expect(config.listener).toEqual({ name: "SASL_PLAINTEXT", host: "127.0.0.1", port: 9093 });
    expect(config.sasl?.mechanisms).toEqual(["PLAIN"]);
    // Kafka's sasl.server.max.receive.size: the frame limit before authentication.
    expect(config.saslReceiveBytesMax).toBe(524_288);
    expect(config.failedAuthenticationDelayMs).toBe(100);
    expect([...config.sasl!.users.get("PLAIN")!]).toEqual([
      ["alice", "alice-secret"],
      ["bob", "bob-secret"],
    ]);
  });

  test("a named listener mapped to SASL_PLAINTEXT, with its own mechanisms and SCRAM users", () => {
    const { config } = parseCli(
      [
        "--override",
        "listeners=CLIENT://127.0.0.1:9094",
        "--override",
        "listener.security.protocol.map=CLIENT:SASL_PLAINTEXT",
        "--override",
        "listener.name.client.sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256",
        "--override",
        'listener.name.client.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required user_bob="b";',
        "--override",
        'listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required\n  user_carol="c\\"q" // a comment\n  username="admin" password="admin-secret";',
      ],
      {},
    );
    expect(config.sasl?.listener).toBe("CLIENT");
    expect(config.sasl?.mechanisms).toEqual(["SCRAM-SHA-512", "SCRAM-SHA-256"]);
    expect([...config.sasl!.users.get("SCRAM-SHA-512")!]).toEqual([["carol", 'c"q']]);
    expect([...config.sasl!.users.get("SCRAM-SHA-256")!]).toEqual([["bob", "b"]]);
  });

  test("SCRAM enabled without a JAAS property: its users come from the metadata log only", () => {
    const { config } = parseCli(saslArgs(["--override", "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256"]), {});
    expect(config.sasl?.mechanisms).toEqual(["PLAIN", "SCRAM-SHA-256"]);
    expect(config.sasl?.users.has("SCRAM-SHA-256")).toBe(false);
  });

  test("the JAAS property from the environment, as Kafka's images name it", () => {
    const { config } = parseCli(["--override", "listeners=SASL_PLAINTEXT://127.0.0.1:9093"], {
      KAFKA_SASL_ENABLED_MECHANISMS: "PLAIN",
      KAFKA_LISTENER_NAME_SASL__PLAINTEXT_PLAIN_SASL_JAAS_CONFIG:
        'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";',
    });
    expect(config.sasl?.users.get("PLAIN")?.get("alice")).toBe("alice-secret");
  });

  const cases: [string, string[], RegExp][] = [
    [
      "no sasl.enabled.mechanisms (Kafka's default GSSAPI)",
      ["--override", "listeners=SASL_PLAINTEXT://127.0.0.1:9093"],
      /GSSAPI is not supported \(GSSAPI is Kafka's default, so set sasl.enabled.mechanisms/,
    ],
    [
      "an unknown mechanism",
      saslArgs(["--override", "sasl.enabled.mechanisms=PLAIN,OAUTHBEARER"]),
      /OAUTHBEARER is not supported/,
    ],
    [
      "PLAIN enabled without its users",
      [
        "--override",
        "listeners=SASL_PLAINTEXT://127.0.0.1:9093",
        "--override",
        "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256",
      ],
      /PLAIN is enabled on listener SASL_PLAINTEXT but listener.name.sasl_plaintext.plain.sasl.jaas.config is not set/,
    ],
    [
      "a missing ;",
      saslArgs(["--override", plainJaas('user_alice="alice-secret"').slice(0, -1)]),
      /missing ";" at the end/,
    ],
    [
      "an unclosed quote",
      saslArgs(["--override", `${plainJaas('user_alice="alice-secret').slice(0, -1)}`]),
      /a quoted value is not closed/,
    ],
    [
      "a missing =",
      saslArgs(["--override", plainJaas('user_alice "alice-secret"')]),
      /expected "=" after option user_alice/,
    ],
    [
      "a wrong control flag",
      saslArgs([
        "--override",
        'listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule mandatory user_alice="alice-secret";',
      ]),
      /expected a control flag/,
    ],
    [
      "the wrong login module",
      saslArgs([
        "--override",
        'listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required user_alice="alice-secret";',
      ]),
      /the login module for PLAIN is org.apache.kafka.common.security.plain.PlainLoginModule/,
    ],
    ["no users", saslArgs(["--override", plainJaas('username="admin" password="admin-secret"')]), /no users/],
    [
      "an empty password",
      saslArgs(["--override", plainJaas('user_alice=""')]),
      /user alice has an empty password/,
    ],
    [
      "a user twice",
      saslArgs(["--override", plainJaas('user_alice="alice-secret" user_alice="other-secret"')]),
      /option user_alice appears twice/,
    ],
    [
      "two login modules",
      saslArgs(["--override", `${plainJaas('user_alice="alice-secret"')} x required;`]),
      /more than one login module/,
    ],
    [
      "a misspelled JAAS key",
      saslArgs([
        "--override",
        'listener.name.sasl_plaintext.plain.sasl.jass.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";',
      ]),
      /--override listener.name.sasl_plaintext.plain.sasl.jass.config=\(hidden\): unknown property/,
    ],
    [
      "SASL_SSL without mechanisms (its TLS settings are ssl-settings.test.ts's)",
      ["--override", "listeners=SASL_SSL://:9093"],
      /GSSAPI is not supported \(GSSAPI is Kafka's default, so set sasl.enabled.mechanisms for SASL listeners\)/,
    ],
  ];
  for (const [what, args, expected] of cases) {
    test(`refused: ${what}, without repeating a password`, () => {
      const message = refusal(args);
      expect(message).toMatch(expected);
      expect(message).not.toContain("alice-secret");
      expect(message).not.toContain("other-secret");
      expect(message).not.toContain("admin-secret");
    });
  }

  test("a SASL controller listener is refused", () => {
    expect(
      refusal([
        "--override",
        "process.roles=broker,controller",
        "--override",
        "controller.quorum.voters=1@127.0.0.1:19092",
        "--override",
        "listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:19092",
        "--override",
        "controller.listener.names=CONTROLLER",
        "--override",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
      ]),
    ).toMatch(/controller listener CONTROLLER uses SASL_PLAINTEXT/);
  });

  test("the JAAS parser: comments, escapes, bare words; errors give a position", () => {
    const entry = parseJaasConfig('/* c */ com.Example required a=b c="d;e" // trailing\n f="g\\\\h" ;', "k");
    expect(entry.loginModule).toBe("com.Example");
    expect([...entry.options]).toEqual([
      ["a", "b"],
      ["c", "d;e"],
      ["f", "g\\h"],
    ]);
    expect(() => parseJaasConfig("", "k")).toThrow(/k: invalid JAAS configuration at character 1/);
    expect(() => parseJaasConfig("x required /* open", "k")).toThrow(/a comment is not closed/);
  });
});
