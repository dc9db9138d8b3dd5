/**
 * Who a connection is, as the authorizer reads it: the SASL principal once the SASL gate has
 * authenticated the connection, otherwise the TLS client certificate's principal, otherwise Kafka's
 * `User:ANONYMOUS` (a PLAINTEXT connection, or TLS without a certificate); and the host it connected
 * from as Kafka prints it (an IPv4 address without the IPv6-mapped prefix).
 *
 * Owns that naming only. It must never authenticate anyone: the SASL gate and the TLS handshake do,
 * and record their result here or on the connection.
 */
import type { ConnectionInfo } from "../net/server.ts";
import { anonymousPrincipal } from "./authorizer.ts";

/** The principal each connection authenticated as over SASL; entries go with their connections. */
const saslPrincipals = new WeakMap<ConnectionInfo, string>();

/**
 * Called by the SASL gate when a connection's authentication succeeds, with the user name the
 * mechanism authenticated; the principal is `User:` and that name, as Kafka's default principal
 * builder makes it.
 */
export function rememberSaslPrincipal(connection: ConnectionInfo, username: string): void {
  saslPrincipals.set(connection, `User:${username}`);
}

export function principalOf(connection: ConnectionInfo): string {
  return saslPrincipals.get(connection) ?? connection.tls?.peerPrincipal ?? anonymousPrincipal;
}

/** `::ffff:127.0.0.1` is the IPv4 client 127.0.0.1; an ACL names it as Kafka does, without the prefix. */
export function hostOf(connection: ConnectionInfo): string {
  const address = connection.remoteAddress;
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice("::ffff:".length) : address;
}
