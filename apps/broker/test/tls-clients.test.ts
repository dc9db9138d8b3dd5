/**
 * SSL and SASL_SSL with unmodified clients against `bun run broker`, certificates made by
 * /usr/bin/openssl for this run: kcat (librdkafka 2.0.2), kafka-python 2.0.2 and kafkajs 2.2.4 each
 * produce and consume over an SSL listener without a client certificate, over an SSL listener with
 * `ssl.client.auth=required` presenting one (the broker logs its principal, the certificate's
 * subject), and over a SASL_SSL listener with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512. Each client
 * verifies the broker's certificate against the test CA (and kcat and kafka-python its host name),
 * and each is sent back by Metadata to the listener it bootstrapped from.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { spawnSync } from "bun";
import { Kafka, logLevel, type SASLOptions } from "kafkajs";
import { kcat, type RunningBroker, removeDir, startBroker, tempDir, until } from "./harness.ts";
import { type Mechanism, mechanisms, users } from "./sasl-fixture.ts";
import { type Certificates, kcatTls, listenerPort, makeCertificates, overrides } from "./tls-fixture.ts";

const certDir = tempDir("tls-clients");
const certs: Certificates = makeCertificates(certDir);
let broker: RunningBroker;
const ports: Record<"SSL" | "MTLS" | "SASL_SSL", number> = { SSL: 0, MTLS: 0, SASL_SSL: 0 };

beforeAll(async () => {
  broker = await startBroker({
    args: overrides([
      "listeners=SSL://127.0.0.1:0,MTLS://127.0.0.1:0,SASL_SSL://127.0.0.1:0",
      "listener.security.protocol.map=SSL:SSL,MTLS:SSL,SASL_SSL:SASL_SSL",
      "ssl.keystore.type=PEM",
      `ssl.keystore.location=${certs.serverKeystore}`,
      "ssl.truststore.type=PEM",
      `ssl.truststore.location=${certs.caPem}`,
      "listener.name.mtls.ssl.client.auth=required",
      "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
      'listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";',
      'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required user_bob="bob-secret";',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required user_carol="carol-secret";',
    ]),
  });
  for (const name of ["SSL", "MTLS", "SASL_SSL"] as const) ports[name] = listenerPort(broker, name);
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
  removeDir(certDir);
});

const clientCert = () => ({ cert: certs.clientCertPem, key: certs.clientKey });
const slug = (m: Mechanism) => m.toLowerCase().replace(/-/g, "");

/** The ways in: a listener, and what a client adds to reach it. */
interface Route {
  readonly name: string;
  readonly port: () => number;
  readonly certificate: boolean;
  readonly mechanism: Mechanism | null;
}
const routes: Route[] = [
  { name: "SSL without a client certificate", port: () => ports.SSL, certificate: false, mechanism: null },
  {
    name: "SSL with a required client certificate",
    port: () => ports.MTLS,
    certificate: true,
    mechanism: null,
  },
  ...mechanisms.map((m) => ({
    name: `SASL_SSL ${m}`,
    port: () => ports.SASL_SSL,
    certificate: false,
    mechanism: m,
  })),
];
const routeSlug = (r: Route) => (r.mechanism !== null ? slug(r.mechanism) : r.certificate ? "mtls" : "ssl");

function kcatArgs(route: Route): string[] {
  const sasl =
    route.mechanism === null
      ? []
      : [
          "-X",
          `sasl.mechanisms=${route.mechanism}`,
          "-X",
          `sasl.username=${users[route.mechanism].username}`,
          "-X",
          `sasl.password=${users[route.mechanism].password}`,
        ];
  const tls = kcatTls(certs, route.certificate ? clientCert() : undefined);
  if (route.mechanism !== null) tls[1] = "security.protocol=sasl_ssl";
  return ["-b", `127.0.0.1:${route.port()}`, ...tls, ...sasl];
}

describe("kcat", () => {
  for (const route of routes) {
    test(`${route.name}: produce and consume; Metadata names this listener`, () => {
      const topic = `kcat-${routeSlug(route)}`;
      kcat(["-P", "-t", topic, ...kcatArgs(route)], "a\nb\nc\n");
      const read = kcat(["-C", "-t", topic, "-o", "beginning", "-e", "-q", ...kcatArgs(route)]);
      expect(read.split("\n").filter((l) => l !== "")).toEqual(["a", "b", "c"]);
      expect(kcat(["-L", ...kcatArgs(route)])).toContain(`at 127.0.0.1:${route.port()}`);
    }, 60_000);
  }

  test("the broker logs the client certificate's subject as the principal", async () => {
    // The log is read as it arrives, which the synchronous kcat runs above held up.
    await until(
      "the principal line",
      () => broker.output().includes(`on MTLS: TLS client ${certs.clientPrincipal}`),
      10_000,
    );
  });
});

const python = `
import sys, json
from kafka import KafkaProducer, KafkaConsumer
bootstrap, topic, opts = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
try:
    producer = KafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=10000, max_block_ms=10000, **opts)
    for v in (b"one", b"two", b"three"):
        producer.send(topic, v).get(timeout=10)
    producer.close()
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             consumer_timeout_ms=5000, **opts)
    print(",".join(m.value.decode() for m in consumer))
    consumer.close()
except Exception as e:
    print("FAILED " + type(e).__name__ + " " + str(e))
    sys.exit(3)
`;

function pythonOptions(route: Route): Record<string, unknown> {
  return {
    security_protocol: route.mechanism === null ? "SSL" : "SASL_SSL",
    ssl_cafile: certs.caPem,
    ssl_check_hostname: true,
    ...(route.certificate ? { ssl_certfile: certs.clientCertPem, ssl_keyfile: certs.clientKey } : {}),
    ...(route.mechanism === null
      ? {}
      : {
          sasl_mechanism: route.mechanism,
          sasl_plain_username: users[route.mechanism].username,
          sasl_plain_password: users[route.mechanism].password,
        }),
  };
}

describe("kafka-python", () => {
  for (const route of routes) {
    test(`${route.name}: produce and consume`, () => {
      const r = spawnSync(
        [
          "/usr/bin/python3",
          "-c",
          python,
          `127.0.0.1:${route.port()}`,
          `py-${routeSlug(route)}`,
          JSON.stringify(pythonOptions(route)),
        ],
        { timeout: 60_000 },
      );
      expect(r.stdout.toString().trim()).toBe("one,two,three");
      expect(r.exitCode).toBe(0);
    }, 90_000);
  }
});

describe("kafkajs", () => {
  for (const route of routes) {
    test(`${route.name}: produce and consume`, async () => {
      const topic = `js-${routeSlug(route)}`;
      const kafka = new Kafka({
        clientId: "eddy-tls",
        brokers: [`127.0.0.1:${route.port()}`],
        ssl: {
          ca: [readFileSync(certs.caPem, "utf8")],
          ...(route.certificate
            ? { cert: readFileSync(certs.clientCertPem, "utf8"), key: readFileSync(certs.clientKey, "utf8") }
            : {}),
        },
        ...(route.mechanism === null
          ? {}
          : {
              sasl: {
                mechanism: route.mechanism.toLowerCase(),
                username: users[route.mechanism].username,
                password: users[route.mechanism].password,
              } as SASLOptions,
            }),
        logLevel: logLevel.NOTHING,
      });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: [{ value: "x" }, { value: "y" }] });
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: `g-${routeSlug(route)}` });
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
  }
});
