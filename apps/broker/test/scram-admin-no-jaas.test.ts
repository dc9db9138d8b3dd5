/**
 * SCRAM with no JAAS property at all, as in Kafka: a listener enables SCRAM-SHA-512 and its users
 * exist only in the metadata log. Goal: the broker starts with no SCRAM user, a user created with
 * AlterUserScramCredentials then produces and consumes with kafka-python 2.0.2 (SaslHandshake v0,
 * raw tokens) and lists metadata with kcat, and anyone else is refused with nothing served. Method:
 * the PLAIN user (from its JAAS property, no authorizer) drives API 51 with the raw client.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { ApiKey, ErrorCode } from "@eddy/protocol";
import { spawnSync } from "bun";
import { type RunningBroker, removeDir, startBroker } from "./harness.ts";
import { RawClient } from "./raw-client.ts";
import { kcatSasl } from "./sasl-fixture.ts";

const args = [
  "--override",
  "listeners=SASL_PLAINTEXT://127.0.0.1:9092",
  "--override",
  "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512",
  "--override",
  'listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret";',
];

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ args });
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

const python = `
import sys
from kafka import KafkaProducer, KafkaConsumer
bootstrap, user, password, topic = sys.argv[1:5]
auth = dict(security_protocol="SASL_PLAINTEXT", sasl_mechanism="SCRAM-SHA-512",
            sasl_plain_username=user, sasl_plain_password=password)
try:
    producer = KafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=10000, max_block_ms=10000, **auth)
    for v in (b"one", b"two"):
        producer.send(topic, v).get(timeout=10)
    producer.close()
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             consumer_timeout_ms=5000, **auth)
    print(",".join(m.value.decode() for m in consumer))
    consumer.close()
except Exception as e:
    print("FAILED " + type(e).__name__)
    sys.exit(3)
`;

function kafkaPython(user: string, password: string, topic: string) {
  const r = spawnSync(["/usr/bin/python3", "-c", python, broker.bootstrap, user, password, topic], {
    timeout: 60_000,
  });
  return { code: r.exitCode, out: r.stdout.toString().trim() };
}

function kcatList(user: string, password: string): { code: number; topics: string[] } {
  const r = spawnSync(
    ["kcat", "-L", "-J", "-b", broker.bootstrap, ...kcatSasl("SCRAM-SHA-512", user, password)],
    {
      stdin: "ignore",
      timeout: 20_000,
    },
  );
  const code = r.exitCode ?? -1;
  const topics =
    code === 0
      ? (JSON.parse(r.stdout.toString()) as { topics: { topic: string }[] }).topics.map((t) => t.topic)
      : [];
  return { code, topics };
}

describe("SCRAM users from the metadata log only", () => {
  test("nobody authenticates with SCRAM before a credential exists", () => {
    expect(kcatList("grace", "grace-secret").code).not.toBe(0);
    const r = kafkaPython("grace", "grace-secret", "py-before");
    expect(r.code).toBe(3);
  }, 90_000);

  test("a user created with AlterUserScramCredentials produces and consumes with kafka-python", async () => {
    const admin = await RawClient.connect(broker.port);
    expect((await admin.request(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" })).errorCode).toBe(
      ErrorCode.NONE,
    );
    const token = new TextEncoder().encode("\u0000admin\u0000admin-secret");
    expect((await admin.request(ApiKey.SaslAuthenticate, 1, { authBytes: token })).errorCode).toBe(
      ErrorCode.NONE,
    );
    const salt = randomBytes(32);
    const alter = await admin.request(ApiKey.AlterUserScramCredentials, 0, {
      deletions: [],
      upsertions: [
        {
          name: "grace",
          mechanism: 2,
          iterations: 4096,
          salt,
          saltedPassword: pbkdf2Sync("grace-secret", salt, 4096, 64, "sha512"),
        },
      ],
    });
    expect(alter.results).toEqual([{ user: "grace", errorCode: ErrorCode.NONE, errorMessage: null }]);
    admin.close();

    const r = kafkaPython("grace", "grace-secret", "py-grace");
    expect(r.out).toBe("one,two");
    expect(r.code).toBe(0);
    expect(kcatList("grace", "grace-secret").topics).toContain("py-grace");
    // A wrong password is refused and nothing is served.
    const wrong = kafkaPython("grace", "not-graces", "py-wrong");
    expect(wrong.code).toBe(3);
    expect(kcatList("grace", "grace-secret").topics).not.toContain("py-wrong");
  }, 90_000);
});
