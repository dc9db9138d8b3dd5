/**
 * What the TLS tests share: certificates made by /usr/bin/openssl in a temporary directory (a CA, a
 * server certificate for 127.0.0.1 and localhost, a client certificate, an expired client
 * certificate, and a CA and client certificate the broker does not trust), the broker's `--override`
 * lines for SSL and SASL_SSL listeners, the bound port of a named listener from the broker's log, and
 * a raw TLS (or plaintext) client that sends one Kafka request and keeps whatever comes back.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ApiKey, encodeRequestFrame, Writer } from "@eddy/protocol";
import { spawnSync } from "bun";
import type { RunningBroker } from "./harness.ts";

export interface Certificates {
  readonly dir: string;
  readonly caPem: string;
  /** The server's key and certificate in one PEM file (a PEM key store). */
  readonly serverKeystore: string;
  readonly serverCertPem: string;
  readonly serverKey: string;
  readonly clientCertPem: string;
  readonly clientKey: string;
  readonly expiredCertPem: string;
  readonly expiredKey: string;
  /** Signed by a CA the broker does not trust. */
  readonly strangerCertPem: string;
  readonly strangerKey: string;
  /** The client certificate's principal as Kafka names it. */
  readonly clientPrincipal: string;
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync(["/usr/bin/openssl", ...args], { cwd: dir, stdin: "ignore" });
  if (r.exitCode !== 0) throw new Error(`openssl ${args.join(" ")} failed:\n${r.stderr.toString()}`);
}

/** A key pair and a certificate signed by `ca` (or self-signed as a CA when `ca` is null). */
function issue(
  dir: string,
  name: string,
  subject: string,
  ca: string | null,
  options: { days?: number; extensions?: string } = {},
): void {
  const key = [
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${name}.key`,
  ];
  if (ca === null) {
    openssl(dir, ["req", "-x509", ...key, "-out", `${name}.pem`, "-days", "2", "-subj", subject]);
    return;
  }
  openssl(dir, ["req", ...key, "-out", `${name}.csr`, "-subj", subject]);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `${options.extensions ?? "extendedKeyUsage=clientAuth"}\n`);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.pem`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-out",
    `${name}.pem`,
    // -1 day: the certificate expired yesterday (OpenSSL 3.0 has no -not_after).
    "-days",
    String(options.days ?? 2),
    "-extfile",
    ext,
  ]);
}

export function makeCertificates(dir: string): Certificates {
  issue(dir, "ca", "/CN=Eddy Test CA", null);
  issue(dir, "server", "/CN=localhost", "ca", {
    extensions: "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth",
  });
  issue(dir, "client", "/C=US/O=Eddy/CN=client", "ca");
  issue(dir, "expired", "/C=US/O=Eddy/CN=expired", "ca", { days: -1 });
  issue(dir, "other-ca", "/CN=Other CA", null);
  issue(dir, "stranger", "/C=US/O=Elsewhere/CN=stranger", "other-ca");
  const file = (name: string) => join(dir, name);
  const serverKeystore = file("server-keystore.pem");
  writeFileSync(
    serverKeystore,
    readFileSync(file("server.key"), "utf8") + readFileSync(file("server.pem"), "utf8"),
  );
  return {
    dir,
    caPem: file("ca.pem"),
    serverKeystore,
    serverCertPem: file("server.pem"),
    serverKey: file("server.key"),
    clientCertPem: file("client.pem"),
    clientKey: file("client.key"),
    expiredCertPem: file("expired.pem"),
    expiredKey: file("expired.key"),
    strangerCertPem: file("stranger.pem"),
    strangerKey: file("stranger.key"),
    clientPrincipal: "User:CN=client,O=Eddy,C=US",
  };
}

/** `--override` lines for each `key=value`. */
export function overrides(lines: string[]): string[] {
  return lines.flatMap((line) => ["--override", line]);
}

/** The bound port of a listener, from the broker's start-up log line naming it. */
export function listenerPort(broker: RunningBroker, name: string): number {
  const match = new RegExp(`listener ${name} \\([^)]*\\) bound on \\S+:(\\d+)`).exec(broker.output());
  if (match === null) throw new Error(`the broker's log names no listener ${name}:\n${broker.output()}`);
  return Number(match[1]);
}

/** kcat's `-X` settings for TLS, with a client certificate when given. */
export function kcatTls(certs: Certificates, client?: { cert: string; key: string }): string[] {
  return [
    "-X",
    "security.protocol=ssl",
    "-X",
    `ssl.ca.location=${certs.caPem}`,
    ...(client === undefined
      ? []
      : ["-X", `ssl.certificate.location=${client.cert}`, "-X", `ssl.key.location=${client.key}`]),
  ];
}

/** A Metadata request that would create `topic` if it were served. */
export function metadataFrame(topic: string): Uint8Array {
  return encodeRequestFrame(new Writer(), ApiKey.Metadata, 4, 1, "tls-test", {
    topics: [{ name: topic }],
    allowAutoTopicCreation: true,
  });
}

export interface RawExchange {
  /** Everything the broker sent back, decrypted when over TLS. */
  readonly received: Uint8Array;
  /** The broker closed the connection (or the handshake failed) before the wait ran out. */
  readonly closed: boolean;
  /** The connection failed with this error (a refused handshake). */
  readonly error: string | null;
}

/**
 * Connects (over TLS when `tls` is given), sends `bytes` once connected (after the client's side of
 * the handshake), and collects what comes back for at most `waitMs`.
 */
export async function rawExchange(
  port: number,
  bytes: Uint8Array,
  tls: { ca: string; cert?: string; key?: string } | null,
  waitMs = 2_000,
): Promise<RawExchange> {
  const chunks: Uint8Array[] = [];
  let closed = false;
  let error: string | null = null;
  let wake = (): void => {};
  const done = new Promise<void>((resolve) => {
    wake = resolve;
  });
  try {
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      ...(tls === null
        ? {}
        : {
            tls: {
              ca: Bun.file(tls.ca),
              ...(tls.cert === undefined ? {} : { cert: Bun.file(tls.cert), key: Bun.file(tls.key!) }),
              serverName: "localhost",
            },
          }),
      socket: {
        // Bun calls this after the TLS handshake; a write before it would not be sent.
        open(s) {
          s.write(bytes);
        },
        data(_s, chunk) {
          chunks.push(new Uint8Array(chunk));
        },
        close() {
          closed = true;
          wake();
        },
        error(_s, e) {
          error = e.message;
          closed = true;
          wake();
        },
        connectError(_s, e) {
          error = e.message;
          closed = true;
          wake();
        },
      },
    });
    await Promise.race([done, Bun.sleep(waitMs)]);
    socket.end();
  } catch (e) {
    error = (e as Error).message;
    closed = true;
  }
  const size = chunks.reduce((n, c) => n + c.length, 0);
  const received = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    received.set(c, at);
    at += c.length;
  }
  return { received, closed, error };
}
