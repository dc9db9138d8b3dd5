/**
 * The principal of a TLS client certificate, as Kafka names it: `User:` and the certificate's subject
 * in RFC 2253 form (the most specific name first: `User:CN=client,O=Eddy,C=US`), which is what Java's
 * `X500Principal.getName()` gives Kafka's default principal builder. A connection without a verified
 * client certificate is `User:ANONYMOUS`, as in Kafka.
 *
 * Owns the naming only; whether a certificate is trusted is decided by the TLS handshake
 * (`net/tls-listener.ts`). It never reads a private key.
 */
import { X509Certificate } from "node:crypto";

export const anonymousPrincipal = "User:ANONYMOUS";

/** Bounds a principal's length: a subject longer than this is cut, so a log line stays a line. */
const principalCharsMax = 1_024;

/**
 * The principal of a DER certificate. `X509Certificate.subject` lists one attribute per line in the
 * certificate's order (least specific first) with `,`, `+` and the like already escaped; RFC 2253
 * joins them in the reverse order with commas. Control characters, which a subject may hold but a
 * log line must not, are written as `\XX`.
 */
export function certificatePrincipal(der: Uint8Array): string {
  const subject = new X509Certificate(der).subject;
  // Node writes the members of a multi-valued RDN as "CN=a + UID=b"; RFC 2253 joins them with a bare
  // "+" (a "+" inside a value is escaped as "\+", so the spaced one is always the separator).
  const joined = subject
    .split("\n")
    .filter((part) => part !== "")
    .reverse()
    .map((rdn) => rdn.replace(/(?<!\\) \+ /g, "+"))
    .join(",");
  let name = "";
  for (const c of joined) {
    const code = c.charCodeAt(0);
    name += code < 0x20 || code === 0x7f ? `\\${code.toString(16).padStart(2, "0").toUpperCase()}` : c;
  }
  const principal = `User:${name}`;
  return principal.length > principalCharsMax ? `${principal.slice(0, principalCharsMax)}...` : principal;
}
