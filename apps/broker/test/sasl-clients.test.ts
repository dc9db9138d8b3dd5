/**
 * SASL_PLAINTEXT with unmodified clients against `bun run broker` started with `--override` lines:
 * kcat (librdkafka 2.0.2: SaslHandshake v1, SaslAuthenticate), kafka-python 2.0.2 (SaslHandshake v0,
 * then raw tokens) and kafkajs 2.2.4 each produce and consume with PLAIN, SCRAM-SHA-256 and
 * SCRAM-SHA-512; a wrong password and an unknown user fail in each client, and nothing they sent
 * was served (their topics do not exist).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "bun";
import { Kafka, logLevel, type SASLOptions } from "kafkajs";
import { kcat, type RunningBroker, removeDir, startBroker, until } from "./harness.ts";
import { kcatSasl, type Mechanism, mechanisms, saslBrokerArgs, users } from "./sasl-fixture.ts";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ args: saslBrokerArgs });
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

const admin = () => kcatSasl("PLAIN", users.PLAIN.username, users.PLAIN.password);

/** Topics the broker has, as an authenticated kcat sees them. */
function topics(): string[] {
  const out = kcat(["-L", "-b", broker.bootstrap, "-J", ...admin()]);
  return (JSON.parse(out) as { topics: { topic: string }[] }).topics.map((t) => t.topic);
}

function kcatRun(args: string[], input?: string): { code: number; out: string; err: string } {
  const r = spawnSync(["kcat", ...args], {
    stdin: input === undefined ? "ignore" : new TextEncoder().encode(input),
    timeout: 20_000,
  });
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

const slug = (m: Mechanism) => m.toLowerCase().replace(/-/g, "");

describe("kcat over SASL_PLAINTEXT", () => {
  for (const mechanism of mechanisms) {
    test(`${mechanism}: produce and consume`, () => {
      const { username, password } = users[mechanism];
      const topic = `kcat-${slug(mechanism)}`;
      kcat(
        ["-P", "-b", broker.bootstrap, "-t", topic, ...kcatSasl(mechanism, username, password)],
        "a\nb\nc\n",
      );
      const read = kcat([
        "-C",
        "-b",
        broker.bootstrap,
        "-t",
        topic,
        "-o",
        "beginning",
        "-e",
        "-q",
        ...kcatSasl(mechanism, username, password),
      ]);
      expect(read.split("\n").filter((l) => l !== "")).toEqual(["a", "b", "c"]);
    }, 60_000);

    test(`${mechanism}: a wrong password and an unknown user are refused, nothing served`, () => {
      const { username } = users[mechanism];
      for (const [user, password, topic] of [
        [username, "wrong", `kcat-wrong-${slug(mechanism)}`],
        ["mallory", "whatever", `kcat-unknown-${slug(mechanism)}`],
      ] as const) {
        const r = kcatRun(
          ["-P", "-b", broker.bootstrap, "-t", topic, ...kcatSasl(mechanism, user, password)],
          "x\n",
        );
        expect(r.code).not.toBe(0);
        expect(r.err).toContain("Authentication failed");
        expect(topics()).not.toContain(topic);
      }
    }, 60_000);
  }

  test("a SCRAM password that is not ASCII: its UTF-8 bytes, not normalised (as Kafka)", () => {
    const sasl = kcatSasl("SCRAM-SHA-256", "dave", "pässwörd-ü");
    kcat(["-P", "-b", broker.bootstrap, "-t", "kcat-utf8", ...sasl], "ü\n");
    const read = kcat([
      "-C",
      "-b",
      broker.bootstrap,
      "-t",
      "kcat-utf8",
      "-o",
      "beginning",
      "-e",
      "-q",
      ...sasl,
    ]);
    expect(read).toBe("ü\n");
    // The NFD form of the same text is other bytes, so another password.
    const nfd = kcatRun([
      "-L",
      "-b",
      broker.bootstrap,
      ...kcatSasl("SCRAM-SHA-256", "dave", "pässwörd-ü".normalize("NFD")),
    ]);
    expect(nfd.code).not.toBe(0);
  }, 60_000);

  test("without SASL a client gets nothing: the connection closes before Metadata is served", async () => {
    // Metadata for a topic would auto-create it if it were served.
    const r = kcatRun(["-L", "-b", broker.bootstrap, "-t", "kcat-nosasl", "-m", "3"]);
    expect(r.code).not.toBe(0);
    await until("the broker's close line", () =>
      broker.output().includes("api key 3 v4 before SASL authentication; nothing served"),
    );
    expect(topics()).not.toContain("kcat-nosasl");
  }, 60_000);

  test("the broker's log never holds a password", () => {
    // What the broker printed from its banner on (\`bun run\` itself echoes the command line first).
    const log = broker.output().slice(broker.output().indexOf("Eddy "));
    expect(log).toContain("  security    SASL_PLAINTEXT (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)\n");
    expect(log).toContain("authentication failed");
    for (const { password } of Object.values(users)) expect(log).not.toContain(password);
    expect(log).not.toContain("whatever");
    expect(log).not.toContain("wrong");
  });
});

const python = `
import sys, logging
from kafka import KafkaProducer, KafkaConsumer
bootstrap, mechanism, user, password, topic = sys.argv[1:6]
auth = dict(security_protocol="SASL_PLAINTEXT", sasl_mechanism=mechanism,
            sasl_plain_username=user, sasl_plain_password=password)
try:
    producer = KafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=10000,
                             max_block_ms=10000, **auth)
    for v in (b"one", b"two", b"three"):
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

function kafkaPython(mechanism: Mechanism, user: string, password: string, topic: string) {
  const r = spawnSync(
    ["/usr/bin/python3", "-c", python, broker.bootstrap, mechanism, user, password, topic],
    {
      timeout: 60_000,
    },
  );
  return { code: r.exitCode, out: r.stdout.toString().trim(), err: r.stderr.toString() };
}

describe("kafka-python over SASL_PLAINTEXT (SaslHandshake v0, raw tokens)", () => {
  for (const mechanism of mechanisms) {
    test(`${mechanism}: produce and consume`, () => {
      const { username, password } = users[mechanism];
      const r = kafkaPython(mechanism, username, password, `py-${slug(mechanism)}`);
      expect(r.out).toBe("one,two,three");
      expect(r.code).toBe(0);
    }, 90_000);

    test(`${mechanism}: a wrong password and an unknown user are refused, nothing served`, () => {
      const { username } = users[mechanism];
      for (const [user, password, topic] of [
        [username, "wrong", `py-wrong-${slug(mechanism)}`],
        ["mallory", "whatever", `py-unknown-${slug(mechanism)}`],
      ] as const) {
        const r = kafkaPython(mechanism, user, password, topic);
        expect(r.code).toBe(3);
        expect(r.out).toStartWith("FAILED");
        expect(topics()).not.toContain(topic);
      }
    }, 90_000);
  }
});

const kafkajsSasl = (mechanism: Mechanism, username: string, password: string): SASLOptions =>
  ({ mechanism: mechanism.toLowerCase(), username, password }) as SASLOptions;

describe("kafkajs over SASL_PLAINTEXT", () => {
  for (const mechanism of mechanisms) {
    test(`${mechanism}: produce and consume`, async () => {
      const { username, password } = users[mechanism];
      const topic = `js-${slug(mechanism)}`;
      const kafka = new Kafka({
        clientId: "eddy-sasl",
        brokers: [broker.bootstrap],
        sasl: kafkajsSasl(mechanism, username, password),
        logLevel: logLevel.NOTHING,
      });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: [{ value: "x" }, { value: "y" }] });
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: `g-${slug(mechanism)}` });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const seen: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`consumed only ${seen.join(",")}`)), 30_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            seen.push(message.value!.toString());
            if (seen.length === 2) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
      await consumer.disconnect();
      expect(seen).toEqual(["x", "y"]);
    }, 60_000);

    test(`${mechanism}: a wrong password and an unknown user are refused, nothing served`, async () => {
      const { username } = users[mechanism];
      for (const [user, password, topic] of [
        [username, "wrong", `js-wrong-${slug(mechanism)}`],
        ["mallory", "whatever", `js-unknown-${slug(mechanism)}`],
      ] as const) {
        const kafka = new Kafka({
          clientId: "eddy-sasl",
          brokers: [broker.bootstrap],
          sasl: kafkajsSasl(mechanism, user, password),
          logLevel: logLevel.NOTHING,
          retry: { retries: 0 },
        });
        const producer = kafka.producer();
        const error = await producer.connect().then(
          () => null,
          (e: Error) => e,
        );
        expect(error?.name).toBe("KafkaJSSASLAuthenticationError");
        await producer.disconnect();
        expect(topics()).not.toContain(topic);
      }
    }, 60_000);
  }
});

describe("a mechanism Eddy serves but this listener has not enabled", () => {
  let plainOnly: RunningBroker;
  beforeAll(async () => {
    plainOnly = await startBroker({
      args: [
        "--override",
        "listeners=SASL_PLAINTEXT://127.0.0.1:9092",
        "--override",
        "sasl.enabled.mechanisms=PLAIN",
        "--override",
        'listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_bob="bob-secret";',
      ],
    });
  });
  afterAll(async () => {
    expect(await plainOnly.stop()).toBe(0);
    removeDir(plainOnly.dataDir);
  });

  test("kcat, kafka-python and kafkajs asking for SCRAM-SHA-256 are refused", async () => {
    const { username, password } = users["SCRAM-SHA-256"];
    const r = kcatRun(
      [
        "-P",
        "-b",
        plainOnly.bootstrap,
        "-t",
        "disabled-kcat",
        ...kcatSasl("SCRAM-SHA-256", username, password),
      ],
      "x\n",
    );
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("Unsupported SASL mechanism");
    const py = spawnSync(
      [
        "/usr/bin/python3",
        "-c",
        python,
        plainOnly.bootstrap,
        "SCRAM-SHA-256",
        username,
        password,
        "disabled-py",
      ],
      { timeout: 60_000 },
    );
    expect(py.exitCode).toBe(3);
    expect(py.stdout.toString()).toStartWith("FAILED");
    const kafka = new Kafka({
      clientId: "eddy-sasl",
      brokers: [plainOnly.bootstrap],
      sasl: kafkajsSasl("SCRAM-SHA-256", username, password),
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });
    const producer = kafka.producer();
    const error = await producer.connect().then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toContain("The broker does not support the requested SASL mechanism");
    await producer.disconnect();
    await until("the broker's close line", () =>
      plainOnly.output().includes('SASL mechanism "SCRAM-SHA-256" is not enabled (enabled: PLAIN)'),
    );
    // The PLAIN user of the same name still gets in.
    kcat(
      ["-P", "-b", plainOnly.bootstrap, "-t", "disabled-ok", ...kcatSasl("PLAIN", username, password)],
      "ok\n",
    );
  }, 90_000);
});
