/**
 * Kafka's client security properties read into `ClientSecurity`: each protocol's settings, the JAAS
 * line of both login modules (quoted values with escapes), PEM stores from a file or inline on one
 * line, and a clear refusal naming the key for every setting that is missing, unknown or contradicts
 * another. Then the host name check the connection makes on the server's certificate.
 */
import { describe, expect, test } from "bun:test";
import {
  ClientConfigError,
  clientSecurityFromProperties,
  parseJaasConfig,
  plaintextSecurity,
} from "../src/client-security.ts";
import { hostNameMismatch } from "../src/tls-options.ts";

const body = "MIIBszCCAVmgAwIBAgIUQ".repeat(8);
const certificate = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`;
const key =
  "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";
const files: Record<string, string> = {
  "/ca.pem": certificate,
  "/client.pem": key + certificate,
  "/empty.pem": "",
};
const readText = (path: string): string => {
  const found = files[path];
  if (found === undefined) throw new Error("ENOENT: no such file");
  return found;
};
const read = (entries: Record<string, string>) =>
  clientSecurityFromProperties(new Map(Object.entries(entries)), readText);
const refusal = (entries: Record<string, string>): string => {
  try {
    read(entries);
  } catch (error) {
    expect(error).toBeInstanceOf(ClientConfigError);
    return (error as Error).message;
  }
  throw new Error("accepted");
};
const scramJaas =
  'org.apache.kafka.common.security.scram.ScramLoginModule required username="carol" password="c\\"s;=x";';

describe("clientSecurityFromProperties", () => {
  test("nothing set is plaintext", () => {
    expect(read({})).toEqual(plaintextSecurity);
  });

  test("SASL_SSL with SCRAM, the trust store from a file, the host name checked by default", () => {
    expect(
      read({
        "security.protocol": "sasl_ssl",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.jaas.config": scramJaas,
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": "/ca.pem",
      }),
    ).toEqual({
      protocol: "SASL_SSL",
      sasl: { mechanism: "SCRAM-SHA-512", username: "carol", password: 'c"s;=x' },
      tls: {
        trustedCertificatesPem: certificate,
        certificateChainPem: null,
        privateKeyPem: null,
        privateKeyPassword: null,
        checkHostName: true,
      },
    });
  });

  test("SSL with inline PEMs written on one line: the same PEM as the file's; '' turns the host check off", () => {
    const oneLine = (pem: string) => pem.trim().replaceAll("\n", " ");
    const tls = read({
      "security.protocol": "SSL",
      "ssl.truststore.type": "PEM",
      "ssl.truststore.certificates": oneLine(certificate),
      "ssl.keystore.type": "PEM",
      "ssl.keystore.certificate.chain": oneLine(certificate),
      "ssl.keystore.key": oneLine(key),
      "ssl.endpoint.identification.algorithm": "",
    }).tls!;
    expect(tls.trustedCertificatesPem).toBe(certificate);
    expect(tls.certificateChainPem).toBe(certificate);
    expect(tls.privateKeyPem).toBe(key);
    expect(tls.checkHostName).toBe(false);
    const fromFile = read({
      "security.protocol": "SSL",
      "ssl.keystore.type": "PEM",
      "ssl.keystore.location": "/client.pem",
    }).tls!;
    expect([fromFile.certificateChainPem, fromFile.privateKeyPem, fromFile.trustedCertificatesPem]).toEqual([
      certificate,
      key,
      null,
    ]);
  });

  test("each bad setting is refused naming its key and what to write", () => {
    const sasl = { "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN" };
    expect(refusal({ "security.protocol": "TLS" })).toStartWith("security.protocol=TLS is not one of");
    expect(refusal({ "security.protocol": "SASL_SSL" })).toStartWith("sasl.mechanism is required");
    expect(refusal({ ...sasl, "sasl.mechanism": "GSSAPI" })).toStartWith(
      "sasl.mechanism=GSSAPI is not one of",
    );
    expect(refusal(sasl)).toStartWith(
      "sasl.jaas.config is required, e.g. sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required",
    );
    expect(refusal({ ...sasl, "sasl.jaas.config": scramJaas })).toContain(
      "PLAIN needs org.apache.kafka.common.security.plain.PlainLoginModule",
    );
    expect(
      refusal({
        ...sasl,
        "sasl.jaas.config": 'org.apache.kafka.common.security.plain.PlainLoginModule required username="u";',
      }),
    ).toStartWith("sasl.jaas.config needs a username and a password");
    expect(refusal({ "security.protocol": "SSL", "ssl.truststore.location": "/ca.pem" })).toStartWith(
      "ssl.truststore.type=JKS (Kafka's default): eddy reads PEM stores only; set ssl.truststore.type=PEM",
    );
    const pemTrust = { "security.protocol": "SSL", "ssl.truststore.type": "PEM" };
    expect(refusal({ ...pemTrust, "ssl.truststore.location": "/nope.pem" })).toBe(
      "cannot read ssl.truststore.location /nope.pem: ENOENT: no such file",
    );
    expect(refusal({ ...pemTrust, "ssl.truststore.location": "/empty.pem" })).toBe(
      "ssl.truststore.location /empty.pem holds no PEM certificate",
    );
    expect(
      refusal({
        ...pemTrust,
        "ssl.truststore.location": "/ca.pem",
        "ssl.truststore.certificates": certificate,
      }),
    ).toBe("set ssl.truststore.location or ssl.truststore.certificates, not both");
    expect(refusal({ ...pemTrust, "ssl.keystore.type": "PEM", "ssl.keystore.key": key })).toBe(
      "ssl.keystore.certificate.chain holds no PEM certificate",
    );
    expect(refusal({ ...pemTrust, "ssl.endpoint.identification.algorithm": "http" })).toStartWith(
      "ssl.endpoint.identification.algorithm=http: write https",
    );
    expect(refusal({ "sasl.mechanism": "PLAIN" })).toBe(
      "sasl.mechanism set but security.protocol is PLAINTEXT, which does not use it",
    );
  });

  test("a password never appears in a refusal", () => {
    const message = refusal({
      "security.protocol": "SASL_SSL",
      "sasl.mechanism": "PLAIN",
      "sasl.jaas.config":
        'org.apache.kafka.common.security.plain.PlainLoginModule required password="hunter2" junk',
    });
    expect(message).not.toContain("hunter2");
  });
});

describe("parseJaasConfig", () => {
  test("quoted and bare values, escapes inside quotes, the module's class", () => {
    const { module, options } = parseJaasConfig(
      'org.apache.kafka.common.security.plain.PlainLoginModule required username=alice password="a \\"b\\" c" ;',
    );
    expect(module).toBe("org.apache.kafka.common.security.plain.PlainLoginModule");
    expect([...options]).toEqual([
      ["username", "alice"],
      ["password", 'a "b" c'],
    ]);
  });

  test("no class, no control flag or no closing ';' is refused", () => {
    expect(() => parseJaasConfig('username="a";')).toThrow("must start with a login module class");
    expect(() => parseJaasConfig('x.Y required username="a"')).toThrow("ends with ';'");
  });
});

describe("hostNameMismatch", () => {
  const tls = { ...read({ "security.protocol": "SSL" }).tls! };
  const socket = (certificate: object) => ({ getPeerCertificate: () => certificate });
  const named = { subject: { CN: "localhost" }, subjectaltname: "IP Address:127.0.0.1, DNS:localhost" };

  test("a name or address the certificate holds passes; another is a mismatch", () => {
    expect(hostNameMismatch(socket(named), "127.0.0.1", tls)).toBeNull();
    expect(hostNameMismatch(socket(named), "localhost", tls)).toBeNull();
    expect(hostNameMismatch(socket(named), "broker.example", tls)?.message).toContain("broker.example");
    expect(hostNameMismatch(socket(named), "10.0.0.1", tls)).not.toBeNull();
    expect(hostNameMismatch(socket({}), "localhost", tls)?.message).toBe(
      "the server presented no certificate",
    );
  });

  test("off with ssl.endpoint.identification.algorithm empty, and in plaintext", () => {
    expect(hostNameMismatch(socket(named), "broker.example", { ...tls, checkHostName: false })).toBeNull();
    expect(hostNameMismatch(socket(named), "broker.example", null)).toBeNull();
  });
});
