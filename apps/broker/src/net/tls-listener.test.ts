/**
 * The handshake verdict and the certificate principal, case by case, without sockets: every mode of
 * `ssl.client.auth` against a handshake that failed, one with an authorization error, one without a
 * certificate and a clean one; and principals in RFC 2253 order with escaped commas and plus signs,
 * multi-valued names and control characters. Certificates come from /usr/bin/openssl.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "bun";
import { removeDir, tempDir } from "../../test/harness.ts";
import type { ListenerTls, SslClientAuth } from "../config/ssl-settings.ts";
import { certificatePrincipal } from "../security/certificate-principal.ts";
import { tlsVerdict } from "./tls-listener.ts";

const dir = tempDir("tls-verdict");
afterAll(() => removeDir(dir));

/** The DER of a self-signed certificate with this subject (OpenSSL's `-subj` syntax). */
function certificate(name: string, subject: string): Uint8Array {
  const out = join(dir, `${name}.pem`);
  const r = spawnSync(
    [
      "/usr/bin/openssl",
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      join(dir, `${name}.key`),
      "-out",
      out,
      "-days",
      "1",
      "-multivalue-rdn",
      "-subj",
      subject,
    ],
    { stdin: "ignore" },
  );
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  return new Uint8Array(new X509Certificate(readFileSync(out)).raw);
}

describe("certificatePrincipal", () => {
  test("the subject in RFC 2253 order, most specific first, as Kafka's default principal", () => {
    expect(certificatePrincipal(certificate("plain", "/C=US/O=Eddy/CN=client"))).toBe(
      "User:CN=client,O=Eddy,C=US",
    );
  });

  test("commas and plus signs in values stay escaped; a multi-valued name joins with +", () => {
    const der = certificate("escaped", "/C=US/O=Eddy, Inc./OU=R\\+D/CN=client+UID=42");
    expect(certificatePrincipal(der)).toBe("User:CN=client+UID=42,OU=R\\+D,O=Eddy\\, Inc.,C=US");
  });
});

const settings = (clientAuth: SslClientAuth): ListenerTls => ({
  listener: "SSL",
  certificateChainPem: "",
  privateKeyPem: "",
  privateKeyPassword: null,
  trustedCertificatesPem: clientAuth === "none" ? null : "",
  clientAuth,
  certificateSubject: "CN=localhost",
  certificateValidTo: "",
});

describe("tlsVerdict", () => {
  const client = certificate("client", "/O=Eddy/CN=client");
  const expired = new Error("certificate has expired");
  const cases: [SslClientAuth, boolean, Error | null, Uint8Array | null, string][] = [
    // mode, handshake success, authorization error, certificate, verdict
    ["none", true, null, null, "admit User:ANONYMOUS"],
    ["none", true, new Error("unable to get issuer certificate"), null, "admit User:ANONYMOUS"],
    [
      "none",
      false,
      new Error("WRONG_VERSION_NUMBER"),
      null,
      "refuse TLS handshake failed: WRONG_VERSION_NUMBER",
    ],
    ["requested", true, null, client, "admit User:CN=client,O=Eddy"],
    ["requested", true, new Error("unable to get issuer certificate"), null, "admit User:ANONYMOUS"],
    ["requested", true, expired, client, "refuse client certificate User:CN=client,O=Eddy refused"],
    ["requested", false, expired, client, "refuse client certificate User:CN=client,O=Eddy refused"],
    ["requested", false, new Error("WRONG_VERSION_NUMBER"), null, "refuse TLS handshake failed"],
    ["required", true, null, client, "admit User:CN=client,O=Eddy"],
    ["required", true, expired, client, "refuse client certificate User:CN=client,O=Eddy refused"],
    ["required", false, new Error("PEER_DID_NOT_RETURN_A_CERTIFICATE"), null, "refuse no client certificate"],
    ["required", true, null, null, "refuse no client certificate"],
    ["required", true, null, new Uint8Array([1, 2, 3]), "refuse the client certificate does not parse"],
  ];
  for (const [mode, success, error, peer, expected] of cases) {
    test(`${mode}, success ${success}, ${error?.message ?? "no error"}, ${peer === null ? "no" : "a"} certificate: ${expected}`, () => {
      const verdict = tlsVerdict(settings(mode), {
        success,
        authorizationError: error,
        peerCertificate: peer,
      });
      const text = verdict.kind === "admit" ? `admit ${verdict.principal}` : `refuse ${verdict.reason}`;
      expect(text.startsWith(expected)).toBe(true);
    });
  }
});
