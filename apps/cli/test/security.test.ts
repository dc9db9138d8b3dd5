/**
 * The CLI over secured listeners, configured as kafka-*.sh tools are, with Kafka's client properties
 * in `--command-config`: a broker started as users start it (certificates made by /usr/bin/openssl for
 * this run, as the broker's TLS tests make them) with a SASL_SSL listener (SCRAM-SHA-512, one JAAS
 * user) and an SSL listener that requires a client certificate. Shows: `topics list`, `produce` and
 * `consume` work over both (the trust store as a file and inline, the key store as one PEM file and as
 * chain plus key); a wrong password exits 1 naming the user, the mechanism and sasl.jaas.config, and
 * nothing is produced; a server certificate from a CA the client does not trust is refused, and so is a
 * client without the certificate the listener requires. kcat is the independent reader.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type RunningBroker, removeDir, startBroker, tempDir } from "@eddy/broker/test/harness.ts";
import {
  type Certificates,
  listenerPort,
  makeCertificates,
  overrides,
} from "@eddy/broker/test/tls-fixture.ts";
import { eddy } from "./run.ts";

const dir = tempDir("cli-security");
const certs: Certificates = makeCertificates(dir);
let broker: RunningBroker;
let saslSslPort = 0;
let mtlsPort = 0;

beforeAll(async () => {
  broker = await startBroker({
    args: overrides([
      "listeners=SASL_SSL://127.0.0.1:0,MTLS://127.0.0.1:0",
      "listener.security.protocol.map=SASL_SSL:SASL_SSL,MTLS:SSL",
      "ssl.keystore.type=PEM",
      `ssl.keystore.location=${certs.serverKeystore}`,
      "ssl.truststore.type=PEM",
      `ssl.truststore.location=${certs.caPem}`,
      "listener.name.mtls.ssl.client.auth=required",
      "sasl.enabled.mechanisms=SCRAM-SHA-512",
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required user_carol="carol-secret";',
    ]),
  });
  saslSslPort = listenerPort(broker, "SASL_SSL");
  mtlsPort = listenerPort(broker, "MTLS");
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
  removeDir(dir);
});

/** Writes a client properties file and returns its path. */
function properties(name: string, lines: string[]): string {
  const file = join(dir, `${name}.properties`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

const scram = (password: string, trustedCa = certs.caPem): string[] => [
  `bootstrap.servers=127.0.0.1:${saslSslPort}`,
  "security.protocol=SASL_SSL",
  "sasl.mechanism=SCRAM-SHA-512",
  `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="carol" password="${password}";`,
  "ssl.truststore.type=PEM",
  `ssl.truststore.location=${trustedCa}`,
];

/** The CA written inline as Kafka's docs write it: one PEM over continued properties lines. */
function inlineCa(): string {
  const pem = readFileSync(certs.caPem, "utf8").trim().split("\n");
  return `ssl.truststore.certificates=${pem.join(" \\\n  ")}`;
}

const lines = (text: string): string[] => text.split("\n").filter((l) => l.length > 0);

/** kcat's view of a topic over the SASL_SSL listener: every value, from the beginning. */
async function kcatValues(topic: string): Promise<string[]> {
  const child = Bun.spawn(
    [
      "kcat",
      "-C",
      "-b",
      `127.0.0.1:${saslSslPort}`,
      "-X",
      "security.protocol=sasl_ssl",
      "-X",
      `ssl.ca.location=${certs.caPem}`,
      "-X",
      "sasl.mechanisms=SCRAM-SHA-512",
      "-X",
      "sasl.username=carol",
      "-X",
      "sasl.password=carol-secret",
      "-t",
      topic,
      "-o",
      "beginning",
      "-e",
      "-q",
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  expect(code).toBe(0);
  return lines(out);
}

describe("SASL_SSL with SCRAM-SHA-512", () => {
  test("topics create and list, produce, consume; kcat reads what eddy produced", async () => {
    const config = properties("scram", scram("carol-secret"));
    const c = ["--command-config", config];
    const created = await eddy(["topics", "create", "sec-scram", "--partitions", "2", ...c]);
    expect(created.err).toBe("");
    expect(created.code).toBe(0);
    const listed = await eddy(["topics", "list", "--output", "json", ...c]);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.out) as { name: string }[]).map((t) => t.name)).toContain("sec-scram");
    const produced = await eddy(["produce", "sec-scram", ...c], "one\ntwo\nthree\n");
    expect(produced.code).toBe(0);
    const consumed = await eddy(["consume", "sec-scram", "--from-beginning", "-e", ...c]);
    expect(consumed.code).toBe(0);
    expect(lines(consumed.out).sort()).toEqual(["one", "three", "two"]);
    expect((await kcatValues("sec-scram")).sort()).toEqual(["one", "three", "two"]);
  }, 60_000);

  test("a wrong password exits 1 naming user, mechanism and sasl.jaas.config; nothing is produced", async () => {
    const good = ["--command-config", properties("scram-good", scram("carol-secret"))];
    expect((await eddy(["topics", "create", "sec-wrong", ...good])).code).toBe(0);
    const bad = ["--command-config", properties("scram-bad", scram("not-carols"))];
    const produced = await eddy(["produce", "sec-wrong", ...bad], "never\n");
    expect(produced.code).toBe(1);
    expect(produced.out).toBe("");
    expect(produced.err).toStartWith(
      "eddy: authentication failed for user carol with SCRAM-SHA-512: check sasl.jaas.config",
    );
    const listed = await eddy(["topics", "list", ...bad]);
    expect(listed.code).toBe(1);
    expect(listed.err).toStartWith("eddy: authentication failed for user carol with SCRAM-SHA-512");
    const described = await eddy(["topics", "describe", "sec-wrong", "--output", "json", ...good]);
    const partitions = (JSON.parse(described.out) as { partitions: { logEndOffset: number }[] }).partitions;
    expect(partitions.map((p) => p.logEndOffset)).toEqual(partitions.map(() => 0));
    expect(await kcatValues("sec-wrong")).toEqual([]);
  }, 60_000);

  test("a server certificate from a CA the client does not trust is refused before anything is sent", async () => {
    const other = join(certs.dir, "other-ca.pem");
    const run = await eddy([
      "topics",
      "list",
      "--command-config",
      properties("untrusted", scram("carol-secret", other)),
    ]);
    expect(run.code).toBe(1);
    expect(run.out).toBe("");
    expect(run.err).toStartWith(`eddy: TLS handshake with 127.0.0.1:${saslSslPort} refused: `);
    expect(run.err).toContain(
      "the broker's certificate is not trusted: put its CA in ssl.truststore.location",
    );
  }, 60_000);
});

describe("SSL with a required client certificate", () => {
  const mtls = (keystore: string[]): string[] => [
    `bootstrap.servers=127.0.0.1:${mtlsPort}`,
    "security.protocol=SSL",
    "ssl.truststore.type=PEM",
    inlineCa(),
    "ssl.keystore.type=PEM",
    ...keystore,
  ];

  test("topics list, produce and consume with the key store as one PEM file", async () => {
    const keystore = join(dir, "client-keystore.pem");
    writeFileSync(
      keystore,
      readFileSync(certs.clientKey, "utf8") + readFileSync(certs.clientCertPem, "utf8"),
    );
    const c = ["--command-config", properties("mtls", mtls([`ssl.keystore.location=${keystore}`]))];
    expect((await eddy(["topics", "create", "sec-mtls", ...c])).code).toBe(0);
    const listed = await eddy(["topics", "list", ...c]);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain("sec-mtls");
    const produced = await eddy(["produce", "sec-mtls", ...c], "a\nb\n");
    expect(produced.err).toBe("");
    expect(produced.code).toBe(0);
    const consumed = await eddy(["consume", "sec-mtls", "--from-beginning", "--max-messages", "2", ...c]);
    expect(consumed.code).toBe(0);
    expect(lines(consumed.out)).toEqual(["a", "b"]);
    expect(await kcatValues("sec-mtls")).toEqual(["a", "b"]);
  }, 60_000);

  test("the key store as chain and key lines works; no client certificate is refused", async () => {
    const chain = readFileSync(certs.clientCertPem, "utf8").trim().replaceAll("\n", " ");
    const key = readFileSync(certs.clientKey, "utf8").trim().replaceAll("\n", " ");
    const inline = properties(
      "mtls-inline",
      mtls([`ssl.keystore.certificate.chain=${chain}`, `ssl.keystore.key=${key}`]),
    );
    const listed = await eddy(["topics", "list", "--command-config", inline]);
    expect(listed.err).toBe("");
    expect(listed.code).toBe(0);
    const without = properties(
      "mtls-none",
      mtls([]).filter((l) => !l.startsWith("ssl.keystore")),
    );
    const refused = await eddy(["topics", "list", "--command-config", without, "--timeout-ms", "5000"]);
    expect(refused.code).toBe(1);
    expect(refused.out).toBe("");
    expect(refused.err).toStartWith(`eddy: TLS handshake with 127.0.0.1:${mtlsPort} refused: `);
    expect(refused.err).toContain(
      "the broker did not accept this client's certificate: set ssl.keystore.location",
    );
  }, 60_000);
});

describe("bad settings exit 2 naming the key", () => {
  const cases: [string[], string][] = [
    [
      ["security.protocol=SASL_TLS"],
      "security.protocol=SASL_TLS is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL",
    ],
    [["security.protocol=SASL_SSL"], "sasl.mechanism is required"],
    [
      [
        "security.protocol=SASL_PLAINTEXT",
        "sasl.mechanism=PLAIN",
        'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";',
      ],
      "sasl.jaas.config names org.apache.kafka.common.security.scram.ScramLoginModule; PLAIN needs org.apache.kafka.common.security.plain.PlainLoginModule",
    ],
    [
      ["security.protocol=SSL", "ssl.truststore.location=/x.jks"],
      "ssl.truststore.type=JKS (Kafka's default): eddy reads PEM stores only",
    ],
    [["ssl.truststore.type=PEM"], "ssl.truststore.type set but security.protocol is PLAINTEXT"],
  ];
  for (const [settings, message] of cases) {
    test(message, async () => {
      const file = properties("bad", settings);
      const run = await eddy(["topics", "list", "--command-config", file]);
      expect(run.code).toBe(2);
      expect(run.err).toStartWith(`eddy: ${file}: ${message}`);
    });
  }
});
