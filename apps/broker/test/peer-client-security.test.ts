/**
 * The peer client's TLS and SASL against a real broker, the way a node connects to another node's
 * SASL_SSL inter-broker listener. Goal: with the right certificate trust and credentials a request is
 * answered; a wrong password, a mechanism the listener does not enable, and a server certificate the
 * trust store does not vouch for each fail the connection attempt with a log line saying why, are
 * retried after a backoff, and never fall back to sending the request unauthenticated (the request
 * is refused PeerDown, never answered).
 * Method: one broker with a SASL_SSL listener (PLAIN and SCRAM-SHA-512 users from JAAS), certificates
 * from /usr/bin/openssl (test/tls-fixture.ts), `PeerClient` with `security` as the cluster link builds it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { ApiKey } from "@eddy/protocol";
import {
  PeerClient,
  PeerRequestError,
  type PeerSecurity,
  peerClientDefaults,
} from "../src/net/peer-client.ts";
import { type RunningBroker, removeDir, startBroker, tempDir } from "./harness.ts";
import { listenerPort, makeCertificates, overrides } from "./tls-fixture.ts";

const dir = tempDir("peer-client-security");
const certs = makeCertificates(dir);
let broker: RunningBroker;
let port = 0;
const clients: PeerClient[] = [];

beforeAll(async () => {
  broker = await startBroker({
    args: overrides([
      "listeners=PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0",
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:SASL_SSL",
      "ssl.keystore.type=PEM",
      `ssl.keystore.location=${certs.serverKeystore}`,
      "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512",
      'listener.name.internal.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_broker="broker-secret";',
      'listener.name.internal.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required user_broker="broker-secret";',
    ]),
  });
  port = listenerPort(broker, "INTERNAL");
}, 30_000);
afterAll(async () => {
  for (const c of clients) c.close();
  await broker?.stop();
  if (broker !== undefined) removeDir(broker.dataDir);
  removeDir(dir);
});

const trust = () => ({
  certificateChainPem: readFileSync(certs.clientCertPem, "utf8"),
  privateKeyPem: readFileSync(certs.clientKey, "utf8"),
  privateKeyPassword: null,
  trustedCertificatesPem: readFileSync(certs.caPem, "utf8"),
});

function client(security: PeerSecurity, logs: string[]): PeerClient {
  const c = new PeerClient(
    { nodeId: 1, host: "127.0.0.1", port },
    {
      ...peerClientDefaults,
      clientId: "eddy-node-2",
      requestTimeoutMs: 5_000,
      connectTimeoutMs: 5_000,
      reconnectBackoffMs: 100,
      reconnectBackoffMsMax: 400,
      log: (line) => logs.push(line),
      security,
    },
  );
  clients.push(c);
  return c;
}

const metadata = (c: PeerClient) =>
  c.request(ApiKey.Metadata, 8, { topics: [], allowAutoTopicCreation: false });

describe("peer client over SASL_SSL", () => {
  for (const mechanism of ["PLAIN", "SCRAM-SHA-512"] as const) {
    test(`${mechanism}: the right credentials are answered, and the connection is logged as authenticated`, async () => {
      const logs: string[] = [];
      const c = client(
        {
          listenerName: "INTERNAL",
          tls: trust(),
          sasl: { mechanism, username: "broker", password: "broker-secret" },
        },
        logs,
      );
      const answer = await metadata(c);
      expect(answer.brokers.map((b) => b.port)).toEqual([port]);
      expect(logs.join("\n")).toContain(
        `authenticated as broker with ${mechanism} on the INTERNAL listener over TLS`,
      );
    });
  }

  test("a wrong password fails each attempt with the reason, backs off, and nothing is served", async () => {
    const logs: string[] = [];
    const c = client(
      {
        listenerName: "INTERNAL",
        tls: trust(),
        sasl: { mechanism: "SCRAM-SHA-512", username: "broker", password: "wrong" },
      },
      logs,
    );
    const first = await metadata(c).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(PeerRequestError);
    expect((first as PeerRequestError).reason).toBe("PeerDown");
    expect((first as Error).message).toContain(
      "SASL authentication as broker with SCRAM-SHA-512 on the INTERNAL listener failed",
    );
    // Inside the backoff the client refuses at once and says when it tries again.
    const second = await metadata(c).catch((e: unknown) => e);
    expect((second as Error).message).toMatch(/next connection attempt in \d+ ms/);
    expect(c.reconnectDelayMs).toBeGreaterThan(0);
    expect(logs.some((l) => l.includes("SASL authentication as broker") && l.includes("retry after"))).toBe(
      true,
    );
    expect(logs.join("\n")).not.toContain("authenticated as");
  });

  test("a mechanism the listener does not enable is refused naming the ones it does", async () => {
    const logs: string[] = [];
    const c = client(
      {
        listenerName: "INTERNAL",
        tls: trust(),
        sasl: { mechanism: "SCRAM-SHA-256", username: "broker", password: "broker-secret" },
      },
      logs,
    );
    const error = await metadata(c).catch((e: unknown) => e);
    expect((error as Error).message).toContain("the peer's listener enables PLAIN, SCRAM-SHA-512");
  });

  test("a server certificate the trust store does not vouch for fails the TLS handshake", async () => {
    const logs: string[] = [];
    const stranger = { ...trust(), trustedCertificatesPem: readFileSync(certs.strangerCertPem, "utf8") };
    const c = client(
      {
        listenerName: "INTERNAL",
        tls: stranger,
        sasl: { mechanism: "PLAIN", username: "broker", password: "broker-secret" },
      },
      logs,
    );
    const error = await metadata(c).catch((e: unknown) => e);
    expect((error as Error).message).toContain("TLS handshake with the INTERNAL listener failed");
  });
});
