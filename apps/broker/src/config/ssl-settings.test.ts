/**
 * The TLS settings as users write them (Kafka's names, `listener.name.<l>.ssl.*` overrides, a PEM
 * key store file or inline PEM, a PEM trust store) and each refusal: a missing or unreadable file, no
 * key store, a JKS key store, a key that does not match its certificate, an encrypted key without
 * its password, an expired server certificate, client auth without a trust store. Messages name the
 * property and file, never a key's text. Certificates come from /usr/bin/openssl.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "bun";
import { configOfOverrides as configOf, overridesRefusal as refusal } from "../../test/config-overrides.ts";
import { removeDir, tempDir } from "../../test/harness.ts";
import { makeCertificates } from "../../test/tls-fixture.ts";

const dir = tempDir("ssl-settings");
const certs = makeCertificates(dir);
afterAll(() => removeDir(dir));

const pemStore = ["ssl.keystore.type=PEM", `ssl.keystore.location=${certs.serverKeystore}`];

describe("SSL listeners", () => {
  test("a PEM key store file; no client auth by default; each listener has its own", () => {
    const config = configOf(["listeners=SSL://127.0.0.1:9093,PLAINTEXT://127.0.0.1:9092", ...pemStore]);
    const ssl = config.servedListeners.find((l) => l.name === "SSL")!;
    expect(ssl.securityProtocol).toBe("SSL");
    expect(ssl.tls?.clientAuth).toBe("none");
    expect(ssl.tls?.trustedCertificatesPem).toBeNull();
    expect(ssl.tls?.certificateChainPem).toContain("BEGIN CERTIFICATE");
    expect(ssl.tls?.privateKeyPem).toContain("PRIVATE KEY");
    expect(ssl.tls?.certificateSubject).toBe("CN=localhost");
    expect(config.servedListeners.find((l) => l.name === "PLAINTEXT")!.tls).toBeNull();
  });

  test("inline PEM, a trust store, and listener.name.<l>.ssl.* overriding key by key", () => {
    const config = configOf([
      "listeners=SSL://127.0.0.1:9093,MTLS://127.0.0.1:9094,SASL_SSL://127.0.0.1:9095",
      "listener.security.protocol.map=SSL:SSL,MTLS:SSL,SASL_SSL:SASL_SSL",
      "ssl.keystore.type=PEM",
      `ssl.keystore.certificate.chain=${readFileSync(certs.serverCertPem, "utf8")}`,
      `ssl.keystore.key=${readFileSync(certs.serverKey, "utf8")}`,
      "ssl.truststore.type=PEM",
      `ssl.truststore.certificates=${readFileSync(certs.caPem, "utf8")}`,
      "listener.name.mtls.ssl.client.auth=required",
      "ssl.client.auth=requested",
      "sasl.enabled.mechanisms=PLAIN",
      'listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_a="b";',
    ]);
    const by = (name: string) => config.servedListeners.find((l) => l.name === name)!;
    expect(by("SSL").tls?.clientAuth).toBe("requested");
    expect(by("MTLS").tls?.clientAuth).toBe("required");
    // KIP-684: the broker-wide ssl.client.auth does not reach a SASL_SSL listener.
    expect(by("SASL_SSL").tls?.clientAuth).toBe("none");
    expect(by("SASL_SSL").sasl?.mechanisms).toEqual(["PLAIN"]);
    expect(by("MTLS").tls?.trustedCertificatesPem).toContain("BEGIN CERTIFICATE");
    expect(config.sasl).toBeNull();
  });

  test("a SASL_SSL listener asks for client certificates only with its own ssl.client.auth", () => {
    const config = configOf([
      "listeners=SASL_SSL://127.0.0.1:9095",
      ...pemStore,
      "ssl.truststore.type=PEM",
      `ssl.truststore.location=${certs.caPem}`,
      "listener.name.sasl_ssl.ssl.client.auth=required",
      "sasl.enabled.mechanisms=PLAIN",
      'listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_a="b";',
    ]);
    expect(config.servedListeners[0]!.tls?.clientAuth).toBe("required");
  });

  test("an encrypted key with ssl.key.password; without it, or with a wrong one, a clear refusal", () => {
    const encrypted = join(dir, "encrypted-keystore.pem");
    const r = spawnSync([
      "/usr/bin/openssl",
      "pkcs8",
      "-topk8",
      "-in",
      certs.serverKey,
      "-v2",
      "aes-256-cbc",
      "-passout",
      "pass:key-secret",
    ]);
    expect(r.exitCode).toBe(0);
    writeFileSync(encrypted, r.stdout.toString() + readFileSync(certs.serverCertPem, "utf8"));
    const lines = [
      "listeners=SSL://127.0.0.1:9093",
      "ssl.keystore.type=PEM",
      `ssl.keystore.location=${encrypted}`,
    ];
    expect(
      configOf([...lines, "ssl.key.password=key-secret"]).servedListeners[0]!.tls?.privateKeyPassword,
    ).toBe("key-secret");
    expect(refusal(lines)).toContain("the private key is encrypted and ssl.key.password is not set");
    const wrong = refusal([...lines, "ssl.key.password=nope"]);
    expect(wrong).toContain("ssl.key.password does not decrypt it");
    expect(wrong).not.toContain("nope");
  });
});

describe("refusals name the property and the file", () => {
  const ssl = "listeners=SSL://127.0.0.1:9093";

  test("no key store, a JKS key store, a missing or unreadable file", () => {
    expect(refusal([ssl])).toContain(
      "listener SSL: ssl.keystore.type=JKS; Eddy reads PEM key stores only, so set ssl.keystore.type=PEM",
    );
    expect(refusal([ssl, "ssl.keystore.type=PEM"])).toContain("listener SSL uses TLS but has no key store");
    const missing = join(dir, "missing.pem");
    expect(refusal([ssl, "ssl.keystore.type=PEM", `ssl.keystore.location=${missing}`])).toBe(
      `ssl.keystore.location=${missing}: cannot read (ENOENT)`,
    );
    const locked = join(dir, "locked.pem");
    writeFileSync(locked, readFileSync(certs.serverKeystore));
    chmodSync(locked, 0);
    // Root reads any file, so the unreadable case is only shown when the test runs as another user.
    if (process.getuid?.() !== 0) {
      expect(refusal([ssl, "ssl.keystore.type=PEM", `ssl.keystore.location=${locked}`])).toBe(
        `ssl.keystore.location=${locked}: cannot read (EACCES)`,
      );
    }
    expect(refusal([ssl, "ssl.keystore.type=PEM", `ssl.keystore.location=${dir}`])).toContain(
      `ssl.keystore.location=${dir}: cannot read (EISDIR)`,
    );
  });

  test("a key that does not match its certificate, a file without a key or a certificate", () => {
    const mismatched = join(dir, "mismatched.pem");
    writeFileSync(
      mismatched,
      readFileSync(certs.clientKey, "utf8") + readFileSync(certs.serverCertPem, "utf8"),
    );
    const message = refusal([ssl, "ssl.keystore.type=PEM", `ssl.keystore.location=${mismatched}`]);
    expect(message).toBe(
      `listener SSL: the private key (ssl.keystore.location=${mismatched}) does not match the certificate CN=localhost (ssl.keystore.location=${mismatched})`,
    );
    expect(message).not.toContain("PRIVATE KEY");
    expect(refusal([ssl, "ssl.keystore.type=PEM", `ssl.keystore.location=${certs.serverCertPem}`])).toContain(
      "expected exactly one PEM private key (-----BEGIN PRIVATE KEY-----), found 0",
    );
    expect(refusal([ssl, "ssl.keystore.type=PEM", `ssl.keystore.location=${certs.serverKey}`])).toContain(
      "no PEM certificate",
    );
  });

  test("an expired server certificate", () => {
    const expired = join(dir, "expired-keystore.pem");
    writeFileSync(
      expired,
      readFileSync(certs.expiredKey, "utf8") + readFileSync(certs.expiredCertPem, "utf8"),
    );
    expect(refusal([ssl, "ssl.keystore.type=PEM", `ssl.keystore.location=${expired}`])).toContain(
      "the certificate C=US, O=Eddy, CN=expired",
    );
  });

  test("inline halves, both forms, client auth without a trust store, a bad client auth", () => {
    expect(refusal([ssl, "ssl.keystore.type=PEM", "ssl.keystore.certificate.chain=x"])).toContain(
      "ssl.keystore.certificate.chain is set but ssl.keystore.key is not",
    );
    expect(
      refusal([...[ssl], ...pemStore, `ssl.keystore.key=${readFileSync(certs.serverKey, "utf8")}`]),
    ).toContain(
      "set either ssl.keystore.location or ssl.keystore.certificate.chain with ssl.keystore.key, not both",
    );
    expect(refusal([ssl, ...pemStore, "listener.name.ssl.ssl.client.auth=required"])).toContain(
      "listener SSL: listener.name.ssl.ssl.client.auth=required needs a trust store",
    );
    expect(refusal([ssl, ...pemStore, "ssl.client.auth=always"])).toContain(
      "ssl.client.auth=always; expected none, requested or required",
    );
    expect(refusal([ssl, ...pemStore, "ssl.keystore.password=x"])).toContain(
      "ssl.keystore.password cannot be used with a PEM key store",
    );
    expect(
      refusal([ssl, ...pemStore, "ssl.truststore.location=/nonexistent/ca.pem", "ssl.client.auth=required"]),
    ).toContain("ssl.truststore.type=JKS; Eddy reads PEM trust stores only");
  });

  test("an --override of the inline private key never echoes it", () => {
    const key = readFileSync(certs.serverKey, "utf8");
    const message = refusal([ssl, `ssl.keystore.kye=${key}`]);
    expect(message).not.toContain("PRIVATE KEY");
  });

  test("a SASL_SSL controller listener is refused; an SSL one is served", () => {
    const controller = [
      "controller.listener.names=CONTROLLER",
      "listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093",
    ];
    expect(
      refusal([...controller, "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:SASL_SSL"]),
    ).toContain("controller listener CONTROLLER uses SASL_SSL");
    const config = configOf([
      ...controller,
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:SSL",
      ...pemStore,
    ]);
    expect(config.servedListeners.find((l) => l.name === "CONTROLLER")?.tls?.clientAuth).toBe("none");
  });
});
