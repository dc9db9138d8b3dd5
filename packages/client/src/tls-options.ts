/**
 * The TLS side of a tool's connection: the runtime's TLS options from `ClientTls`, the host name check
 * (Kafka's `ssl.endpoint.identification.algorithm=https`) done on the server's certificate once the
 * handshake admitted its chain, and the error a refusal becomes. Must never turn a check off that the
 * settings did not turn off, and never name a key's contents in an error.
 */
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import type { ClientTls } from "./client-security.ts";
import { AuthenticationError } from "./kafka-error.ts";

/** Bun.connect's `tls` options: trust what the settings trust, present the client certificate if any. */
export function bunTlsOptions(tls: ClientTls, host: string): Bun.TLSOptions {
  return {
    rejectUnauthorized: true,
    // SNI carries a host name, never an address (RFC 6066 §3).
    ...(isIpAddress(host) ? {} : { serverName: host }),
    ...(tls.trustedCertificatesPem === null ? {} : { ca: tls.trustedCertificatesPem }),
    ...(tls.certificateChainPem === null ? {} : { cert: tls.certificateChainPem }),
    ...(tls.privateKeyPem === null ? {} : { key: tls.privateKeyPem }),
    ...(tls.privateKeyPassword === null ? {} : { passphrase: tls.privateKeyPassword }),
  };
}

/** Why the server's certificate does not name `host`, or null when it does or the check is off. */
export function hostNameMismatch(
  socket: { getPeerCertificate(): unknown },
  host: string,
  tls: ClientTls | null,
): Error | null {
  if (tls === null || !tls.checkHostName) return null;
  const certificate = socket.getPeerCertificate() as PeerCertificate | null | undefined;
  if (certificate === null || certificate === undefined || Object.keys(certificate).length === 0) {
    return new Error("the server presented no certificate");
  }
  return checkServerIdentity(host, certificate) ?? null;
}

/** A refused TLS handshake, saying which setting to look at. */
export function tlsRefused(address: string, reason: string, tls: ClientTls | null): AuthenticationError {
  const host = address.slice(0, address.lastIndexOf(":"));
  const hint =
    /CERTIFICATE_REQUIRED|certificate required|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_EXPIRED/i.test(reason)
      ? "the broker did not accept this client's certificate: set ssl.keystore.location (a PEM key and certificate signed by a CA the broker trusts)"
      : /host ?name|altname|IP: |does not match|not in the cert/i.test(reason)
        ? `the broker's certificate does not name ${host}: connect by a name it holds, or set ssl.endpoint.identification.algorithm= (empty) to skip the check`
        : /certificate|issuer|self.signed|verify|unauthori[sz]ed|chain/i.test(reason)
          ? `the broker's certificate is not trusted: put its CA in ssl.truststore.location (PEM)${tls?.trustedCertificatesPem === null ? "; none is set, so only the system's CAs are trusted" : ""}`
          : "is it a TLS listener (security.protocol SSL or SASL_SSL)?";
  return new AuthenticationError(`TLS handshake with ${address} refused: ${reason}; ${hint}`);
}

function isIpAddress(host: string): boolean {
  return /^[0-9.]+$/.test(host) || host.includes(":");
}
