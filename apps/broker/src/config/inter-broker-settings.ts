/**
 * The inter-broker listener of a node and how it connects to the others' (Kafka's
 * `inter.broker.listener.name`, `security.inter.broker.protocol`, `sasl.mechanism.inter.broker.protocol`):
 * the listener whose advertised address the node registers for broker traffic, and the TLS and SASL a
 * node presents when it opens a connection to another node's listener of that name.
 *
 * Kafka's rules: the name and the protocol are alternatives (both set is an error), and
 * `security.inter.broker.protocol` alone names the listener called after the protocol. Unset, Kafka's
 * default protocol, PLAINTEXT, names the listener called PLAINTEXT; a config without one (Eddy lets a
 * node name its listeners freely) falls back to the first listener that is not a controller listener.
 * Either way the node registers that listener's advertised address, and replication and every other
 * exchange between brokers go to the peers' registered listener, as Kafka always does; the quorum and
 * the controller requests stay on the controller listener (`cluster/cluster-link.ts`). Unset
 * (`explicit` false), a PLAINTEXT listener presents nothing; a fallback listener with TLS or SASL
 * presents what a named one would, checked the same way, on a node that has peers.
 * The split tests cut nodes apart with the peer transport's own fault hook (`cluster/peer-cuts.ts`),
 * which covers both listeners, rather than with proxies on addresses.
 *
 * The listener must be an advertised broker listener, never a controller one. On an SSL or
 * SASL_SSL listener the connecting node presents the certificate of the listener's own key store and
 * trusts its trust store (so a trust store is required); on a SASL listener it authenticates with
 * `sasl.mechanism.inter.broker.protocol` (one of the listener's enabled mechanisms) as the `username`
 * and `password` options of `listener.name.<listener>.<mechanism>.sasl.jaas.config`; for PLAIN the
 * same JAAS must also hold a `user_<username>` entry, since the node's peers check it there.
 *
 * Owns these rules only; it opens nothing. Every problem is a `ConfigError` naming the property, never
 * a password.
 */
import type { ClusterSettings } from "./cluster-settings.ts";
import { ConfigError } from "./resolve.ts";
import { type ListenerSasl, parseJaasConfig, type SaslMechanism, saslMechanisms } from "./sasl-settings.ts";
import type { ListenerTls } from "./ssl-settings.ts";

/** The credentials a node authenticates to its peers with. */
export interface InterBrokerSasl {
  readonly mechanism: SaslMechanism;
  readonly username: string;
  readonly password: string;
}

/** The client side of TLS to a peer: this node's certificate and the CAs its peers' chain to. */
export interface InterBrokerTls {
  readonly certificateChainPem: string;
  readonly privateKeyPem: string;
  readonly privateKeyPassword: string | null;
  readonly trustedCertificatesPem: string;
}

export interface InterBrokerSettings {
  /** The listener's name, upper case. */
  readonly listenerName: string;
  /** Named by `inter.broker.listener.name` or `security.inter.broker.protocol` (see the module header). */
  readonly explicit: boolean;
  readonly securityProtocol: string;
  /** Null unless the listener is SSL or SASL_SSL. */
  readonly tls: InterBrokerTls | null;
  /** Null unless the listener is SASL_PLAINTEXT or SASL_SSL. */
  readonly sasl: InterBrokerSasl | null;
}

export interface InterBrokerTexts {
  readonly listenerName: string | null;
  readonly securityProtocol: string | null;
  readonly saslMechanism: string | null;
  /** A property's text by its full name, or null when unset. */
  readonly property: (name: string) => string | null;
  /** The checked SASL and TLS settings of this node's listeners, by name. */
  readonly sasl: ReadonlyMap<string, ListenerSasl>;
  readonly tls: ReadonlyMap<string, ListenerTls>;
  /**
   * A listener this node does not bind, as `listener.security.protocol.map` and the listener-prefixed
   * properties describe it (checked), or null when the map does not name it: a controller-only node's
   * view of the brokers' inter-broker listener.
   */
  readonly unboundListener: (name: string) => {
    readonly securityProtocol: string;
    readonly sasl: ListenerSasl | null;
    readonly tls: ListenerTls | null;
  } | null;
}

/**
 * The inter-broker settings of a node. A controller-only node binds no broker listener, but as the
 * active controller it pushes images and answers to broker-only nodes at their registered address, the
 * inter-broker listener: when one is named, it presents the same TLS and SASL (from the same
 * properties); when none is, null.
 */
export function toInterBrokerSettings(
  cluster: ClusterSettings,
  texts: InterBrokerTexts,
): InterBrokerSettings | null {
  if (texts.listenerName !== null && texts.securityProtocol !== null) {
    throw new ConfigError(
      "Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.",
    );
  }
  if (!cluster.processRoles.includes("broker")) return controllerOnlySettings(texts);
  const advertised = cluster.advertisedListeners.map((l) => l.name);
  let listenerName: string;
  let key: string;
  if (texts.listenerName !== null) {
    listenerName = texts.listenerName.trim().toUpperCase();
    key = "inter.broker.listener.name";
  } else if (texts.securityProtocol !== null) {
    listenerName = texts.securityProtocol.trim().toUpperCase();
    key = "security.inter.broker.protocol";
  } else {
    // Kafka's security.inter.broker.protocol default, PLAINTEXT, when the config has that listener.
    listenerName = advertised.includes("PLAINTEXT") ? "PLAINTEXT" : cluster.clientListener.name;
    key = "listeners";
  }
  if (cluster.controllerListenerNames.includes(listenerName)) {
    throw new ConfigError(
      `${key}: ${listenerName} is a controller listener (controller.listener.names); the inter-broker listener must be a broker listener`,
    );
  }
  if (!advertised.includes(listenerName)) {
    throw new ConfigError(
      `${key}: ${listenerName} must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are ${advertised.join(",")}`,
    );
  }
  const securityProtocol = cluster.securityProtocols.get(listenerName)!;
  // Unset: a plaintext listener presents nothing, and a cluster of one dials no peer, so a single
  // node with only a TLS or SASL listener needs no client credentials.
  if (key === "listeners" && (securityProtocol === "PLAINTEXT" || cluster.quorumVoters.length === 0)) {
    return { listenerName, explicit: false, securityProtocol, tls: null, sasl: null };
  }
  const settings = explicitSettings(
    listenerName,
    securityProtocol,
    texts.sasl.get(listenerName),
    texts.tls.get(listenerName),
    texts,
  );
  return key === "listeners" ? { ...settings, explicit: false } : settings;
}

function controllerOnlySettings(texts: InterBrokerTexts): InterBrokerSettings | null {
  const named = texts.listenerName ?? texts.securityProtocol;
  if (named === null) return null;
  const key = texts.listenerName !== null ? "inter.broker.listener.name" : "security.inter.broker.protocol";
  const listenerName = named.trim().toUpperCase();
  const unbound = texts.unboundListener(listenerName);
  if (unbound === null) {
    throw new ConfigError(
      `${key}: listener ${listenerName} has no security protocol in listener.security.protocol.map (a controller-only node reaches broker-only nodes on it)`,
    );
  }
  return explicitSettings(
    listenerName,
    unbound.securityProtocol,
    unbound.sasl ?? undefined,
    unbound.tls ?? undefined,
    texts,
  );
}

function explicitSettings(
  listenerName: string,
  securityProtocol: string,
  sasl: ListenerSasl | undefined,
  tls: ListenerTls | undefined,
  texts: InterBrokerTexts,
): InterBrokerSettings {
  const isSsl = securityProtocol === "SSL" || securityProtocol === "SASL_SSL";
  const isSasl = securityProtocol === "SASL_PLAINTEXT" || securityProtocol === "SASL_SSL";
  return {
    listenerName,
    explicit: true,
    securityProtocol,
    tls: isSsl ? clientTls(listenerName, tls) : null,
    sasl: isSasl ? clientSasl(listenerName, sasl, texts) : null,
  };
}

function clientTls(listenerName: string, tls: ListenerTls | undefined): InterBrokerTls {
  if (tls === undefined) throw new ConfigError(`listener ${listenerName} has no TLS settings`);
  if (tls.trustedCertificatesPem === null) {
    throw new ConfigError(
      `ssl.truststore.location (or listener.name.${listenerName.toLowerCase()}.ssl.truststore.*) must be set: ${listenerName} is the inter-broker listener, and a node checks its peers' certificates against that trust store`,
    );
  }
  return {
    certificateChainPem: tls.certificateChainPem,
    privateKeyPem: tls.privateKeyPem,
    privateKeyPassword: tls.privateKeyPassword,
    trustedCertificatesPem: tls.trustedCertificatesPem,
  };
}

function clientSasl(
  listenerName: string,
  sasl: ListenerSasl | undefined,
  texts: InterBrokerTexts,
): InterBrokerSasl {
  const key = "sasl.mechanism.inter.broker.protocol";
  const text = texts.saslMechanism?.trim() ?? null;
  if (text === null || text === "") {
    throw new ConfigError(
      `${key} must be set: ${listenerName} is a SASL inter-broker listener, and Kafka's default, GSSAPI, is not served (use ${saslMechanisms.join(", ")})`,
    );
  }
  const mechanism = saslMechanisms.find((m) => m === text.toUpperCase());
  if (mechanism === undefined) {
    throw new ConfigError(`${key}=${text}: Eddy serves ${saslMechanisms.join(", ")}`);
  }
  const enabled = sasl?.mechanisms ?? [];
  if (!enabled.includes(mechanism)) {
    throw new ConfigError(
      `${key}=${mechanism} must be included in the enabled mechanisms of listener ${listenerName} (${enabled.join(",") || "none"}) when SASL is used for inter-broker communication`,
    );
  }
  const jaasKey = `listener.name.${listenerName.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config`;
  const jaas = texts.property(jaasKey);
  if (jaas === null) {
    throw new ConfigError(
      `${jaasKey} must be set with username="..." password="..."; the node authenticates to its peers with them (${key}=${mechanism})`,
    );
  }
  const options = parseJaasConfig(jaas, jaasKey).options;
  const username = options.get("username") ?? "";
  const password = options.get("password") ?? "";
  if (username === "" || password === "") {
    throw new ConfigError(
      `${jaasKey} has no inter-broker credentials: options username="..." and password="..." must both be set (${key}=${mechanism})`,
    );
  }
  if (mechanism === "PLAIN" && !options.has(`user_${username}`)) {
    throw new ConfigError(
      `${jaasKey}: the inter-broker user ${username} must also be a user_${username} entry, which peers check PLAIN against`,
    );
  }
  return { mechanism, username, password };
}

/**
 * What a node's connections to its peers' inter-broker listeners present (each of TLS and SASL may be
 * null), or undefined when the node is controller-only without a named inter-broker listener (it then
 * reaches broker-only nodes at their registered address in plaintext).
 */
export function interBrokerSecurity(settings: InterBrokerSettings | null):
  | {
      readonly listenerName: string;
      readonly tls: InterBrokerTls | null;
      readonly sasl: InterBrokerSasl | null;
    }
  | undefined {
  if (settings === null) return undefined;
  return { listenerName: settings.listenerName, tls: settings.tls, sasl: settings.sasl };
}
