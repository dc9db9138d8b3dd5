/**
 * TLS fails closed, against `bun run broker` with an SSL listener, one with
 * `ssl.client.auth=required` and one with `requested`. Each refused connection sends a Metadata
 * request that would create a topic if it were served, and the test asserts nothing was: no Kafka
 * response came back (at most a TLS alert), the connection closed, the topic does not exist, and the
 * broker's log names the reason. Cases: a plaintext hello on a TLS port; with `required`, an expired
 * client certificate, one from a CA the broker does not trust, and none; with `requested`, an
 * expired one (a sent certificate must be valid) while none is served as `User:ANONYMOUS`; on a
 * SASL_SSL listener, a Metadata inside TLS before SASL authentication and a wrong password. The same
 * refusals are shown with kcat, unmodified, and a trusted certificate is served, so the raw client
 * is known to reach the broker when allowed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiKey, decodeResponse } from "@eddy/protocol";
import { spawnSync } from "bun";
import { kcat, type RunningBroker, removeDir, startBroker, tempDir, until } from "./harness.ts";
import {
  type Certificates,
  kcatTls,
  listenerPort,
  makeCertificates,
  metadataFrame,
  overrides,
  rawExchange,
} from "./tls-fixture.ts";

const certDir = tempDir("tls-fail-closed");
const certs: Certificates = makeCertificates(certDir);
let broker: RunningBroker;
let sslPort = 0;
let requiredPort = 0;
let requestedPort = 0;
let saslSslPort = 0;

beforeAll(async () => {
  broker = await startBroker({
    args: overrides([
      "listeners=SSL://127.0.0.1:0,MTLS://127.0.0.1:0,WANT://127.0.0.1:0,SASL_SSL://127.0.0.1:0",
      "listener.security.protocol.map=SSL:SSL,MTLS:SSL,WANT:SSL,SASL_SSL:SASL_SSL",
      "ssl.keystore.type=PEM",
      `ssl.keystore.location=${certs.serverKeystore}`,
      "ssl.truststore.type=PEM",
      `ssl.truststore.location=${certs.caPem}`,
      "listener.name.mtls.ssl.client.auth=required",
      "listener.name.want.ssl.client.auth=requested",
      "sasl.enabled.mechanisms=SCRAM-SHA-256",
      'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required user_bob="bob-secret";',
    ]),
  });
  sslPort = listenerPort(broker, "SSL");
  requiredPort = listenerPort(broker, "MTLS");
  requestedPort = listenerPort(broker, "WANT");
  saslSslPort = listenerPort(broker, "SASL_SSL");
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
  removeDir(certDir);
});

/** Topics the broker has, as kcat sees them over the SSL listener. */
function topics(): string[] {
  const out = kcat(["-L", "-b", `127.0.0.1:${sslPort}`, "-J", ...kcatTls(certs)]);
  return (JSON.parse(out) as { topics: { topic: string }[] }).topics.map((t) => t.topic);
}

const ca = () => certs.caPem;
const withCert = (cert: string, key: string) => ({ ca: ca(), cert, key });

/** Expects a refused exchange: no Kafka response, closed, the topic absent, the reason in the log. */
async function expectRefused(
  exchange: Awaited<ReturnType<typeof rawExchange>>,
  topic: string,
  logged: string,
): Promise<void> {
  expect(exchange.closed).toBe(true);
  // Over TLS nothing is decrypted for the client; in plaintext at most a TLS alert record (type 21).
  if (exchange.received.length > 0) expect(exchange.received[0]).toBe(21);
  expect(exchange.received.length).toBeLessThan(16);
  await until(`the broker's log line "${logged}"`, () => broker.output().includes(logged), 10_000);
  expect(topics()).not.toContain(topic);
}

describe("refused, nothing served", () => {
  test("a plaintext hello on a TLS port", async () => {
    const exchange = await rawExchange(sslPort, metadataFrame("plain-hello"), null);
    await expectRefused(exchange, "plain-hello", "SSL: TLS handshake failed");
  });

  test("ssl.client.auth=required: an expired client certificate", async () => {
    const exchange = await rawExchange(
      requiredPort,
      metadataFrame("mtls-expired"),
      withCert(certs.expiredCertPem, certs.expiredKey),
    );
    await expectRefused(
      exchange,
      "mtls-expired",
      "MTLS: client certificate User:CN=expired,O=Eddy,C=US refused (ssl.client.auth=required): certificate has expired; nothing served",
    );
  });

  test("ssl.client.auth=required: a certificate from a CA the broker does not trust", async () => {
    const exchange = await rawExchange(
      requiredPort,
      metadataFrame("mtls-stranger"),
      withCert(certs.strangerCertPem, certs.strangerKey),
    );
    await expectRefused(
      exchange,
      "mtls-stranger",
      "MTLS: client certificate User:CN=stranger,O=Elsewhere,C=US refused (ssl.client.auth=required)",
    );
  });

  test("ssl.client.auth=required: no client certificate", async () => {
    const exchange = await rawExchange(requiredPort, metadataFrame("mtls-none"), { ca: ca() });
    await expectRefused(
      exchange,
      "mtls-none",
      "MTLS: no client certificate (ssl.client.auth=required); nothing served",
    );
  });

  test("ssl.client.auth=requested: an expired client certificate is refused too", async () => {
    const exchange = await rawExchange(
      requestedPort,
      metadataFrame("want-expired"),
      withCert(certs.expiredCertPem, certs.expiredKey),
    );
    await expectRefused(
      exchange,
      "want-expired",
      "WANT: client certificate User:CN=expired,O=Eddy,C=US refused (ssl.client.auth=requested): certificate has expired",
    );
  });

  test("SASL_SSL: a Metadata inside TLS but before SASL authentication", async () => {
    const exchange = await rawExchange(saslSslPort, metadataFrame("sasl-ssl-unauthenticated"), { ca: ca() });
    await expectRefused(
      exchange,
      "sasl-ssl-unauthenticated",
      "api key 3 v4 before SASL authentication; nothing served",
    );
  });

  test("SASL_SSL: kcat with a wrong password over a good TLS connection", () => {
    const r = spawnSync(
      [
        "kcat",
        "-L",
        "-b",
        `127.0.0.1:${saslSslPort}`,
        "-t",
        "sasl-ssl-wrong",
        ...kcatTls(certs),
        "-X",
        "security.protocol=sasl_ssl",
        "-X",
        "sasl.mechanisms=SCRAM-SHA-256",
        "-X",
        "sasl.username=bob",
        "-X",
        "sasl.password=wrong",
      ],
      { timeout: 20_000 },
    );
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr.toString()).toContain("Authentication failed");
    expect(topics()).not.toContain("sasl-ssl-wrong");
  }, 30_000);

  test("kcat, unmodified: expired, untrusted and missing certificates get nothing", async () => {
    const cases = [
      ["kcat-expired", { cert: certs.expiredCertPem, key: certs.expiredKey }],
      ["kcat-stranger", { cert: certs.strangerCertPem, key: certs.strangerKey }],
      ["kcat-none", undefined],
    ] as const;
    for (const [topic, client] of cases) {
      const r = spawnSync(
        [
          "kcat",
          "-P",
          "-b",
          `127.0.0.1:${requiredPort}`,
          "-t",
          topic,
          "-X",
          "message.timeout.ms=3000",
          ...kcatTls(certs, client),
        ],
        { stdin: new TextEncoder().encode("x\n"), timeout: 20_000 },
      );
      // kcat gives up once its one broker keeps dropping it (or its message times out).
      expect(r.exitCode).toBe(1);
      expect(r.stderr.toString()).toMatch(/Broker transport failure|Message timed out/);
      expect(topics()).not.toContain(topic);
    }
  }, 90_000);
});

describe("served, so the refusals above are the broker's doing", () => {
  test("a trusted client certificate on the required listener", async () => {
    const exchange = await rawExchange(
      requiredPort,
      metadataFrame("mtls-trusted"),
      withCert(certs.clientCertPem, certs.clientKey),
      2_000,
    );
    expect(exchange.received.length).toBeGreaterThan(4);
    const answer = decodeResponse(exchange.received.subarray(4), ApiKey.Metadata, 4);
    expect(answer.body.topics.map((t) => t.name)).toEqual(["mtls-trusted"]);
    expect(topics()).toContain("mtls-trusted");
  });

  test("no certificate on the requested listener: served as User:ANONYMOUS", async () => {
    const exchange = await rawExchange(requestedPort, metadataFrame("want-none"), { ca: ca() }, 2_000);
    expect(exchange.received.length).toBeGreaterThan(4);
    expect(topics()).toContain("want-none");
  });
});
