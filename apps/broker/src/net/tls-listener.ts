/**
 * TLS on an SSL or SASL_SSL listener with Bun's own TLS: the `Bun.listen` options from a listener's
 * PEM key store and trust store, and the verdict on each finished handshake, which the server applies
 * before a single byte of the connection is read as a request.
 *
 * Bun reports a client certificate that failed verification (expired, from an unknown CA) as a
 * finished handshake with an authorization error rather than a failed one, and with
 * `rejectUnauthorized: false` it lets the connection go on. So the verdict here is the rule, for
 * every mode, and `rejectUnauthorized` is only a first line: with `ssl.client.auth=required` a client
 * without a trusted, valid certificate is refused; with `requested` a client that sends none is
 * `User:ANONYMOUS` but one that sends a bad one is refused (as Kafka's `wantClientAuth`); with `none`
 * no certificate is asked for. Must never admit a connection whose handshake did not succeed.
 */
import type { TLSOptions } from "bun";
import type { ListenerTls } from "../config/ssl-settings.ts";
import { anonymousPrincipal, certificatePrincipal } from "../security/certificate-principal.ts";

/** The options `Bun.listen` takes for a listener's TLS. */
export function bunTlsOptions(tls: ListenerTls): TLSOptions {
  return {
    cert: tls.certificateChainPem,
    key: tls.privateKeyPem,
    ...(tls.privateKeyPassword === null ? {} : { passphrase: tls.privateKeyPassword }),
    ...(tls.trustedCertificatesPem === null ? {} : { ca: tls.trustedCertificatesPem }),
    requestCert: tls.clientAuth !== "none",
    rejectUnauthorized: tls.clientAuth === "required",
  };
}

/** What the server learned from a finished handshake. */
export interface TlsHandshake {
  readonly success: boolean;
  readonly authorizationError: Error | null;
  /** The client certificate in DER, or null when the client sent none. */
  readonly peerCertificate: Uint8Array | null;
}

export type TlsVerdict =
  | { readonly kind: "admit"; readonly principal: string }
  | { readonly kind: "refuse"; readonly reason: string };

/** Decides whether a connection may be read, and as whom (see the module header). */
export function tlsVerdict(tls: ListenerTls, handshake: TlsHandshake): TlsVerdict {
  const error = handshake.authorizationError?.message ?? null;
  if (!handshake.success && (tls.clientAuth === "none" || handshake.peerCertificate === null)) {
    if (tls.clientAuth === "required" && handshake.peerCertificate === null) {
      return { kind: "refuse", reason: "no client certificate (ssl.client.auth=required)" };
    }
    return { kind: "refuse", reason: `TLS handshake failed${error === null ? "" : `: ${error}`}` };
  }
  if (tls.clientAuth === "none") return { kind: "admit", principal: anonymousPrincipal };
  if (handshake.peerCertificate === null) {
    return tls.clientAuth === "required"
      ? { kind: "refuse", reason: "no client certificate (ssl.client.auth=required)" }
      : { kind: "admit", principal: anonymousPrincipal };
  }
  let principal: string;
  try {
    principal = certificatePrincipal(handshake.peerCertificate);
  } catch {
    return { kind: "refuse", reason: "the client certificate does not parse" };
  }
  if (!handshake.success || error !== null) {
    return {
      kind: "refuse",
      reason: `client certificate ${principal} refused (ssl.client.auth=${tls.clientAuth}): ${error ?? "not authorized"}`,
    };
  }
  return { kind: "admit", principal };
}
