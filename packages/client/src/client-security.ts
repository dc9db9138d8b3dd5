/**
 * How a tool's connections are secured, read from Kafka's client properties as the kafka-*.sh tools
 * read them from `--command-config`: `security.protocol`, `sasl.mechanism`, `sasl.jaas.config` (the
 * PLAIN and SCRAM login modules), PEM trust and key stores (`ssl.truststore.*`, `ssl.keystore.*`,
 * `ssl.key.password`) and `ssl.endpoint.identification.algorithm`. Owns turning those strings into one
 * checked `ClientSecurity` (certificates read from their files). Must never connect, never accept a
 * value it does not understand in silence (a typo must not fall back to plaintext or to no host name
 * check), and never put a password in an error.
 */
import { readFileSync } from "node:fs";
import { type SaslMechanism, saslMechanisms } from "./sasl-client.ts";

export type SecurityProtocol = "PLAINTEXT" | "SSL" | "SASL_PLAINTEXT" | "SASL_SSL";
const securityProtocols: readonly SecurityProtocol[] = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];

/** TLS settings of a connection: what it trusts, what it presents, whether it checks the host name. */
export interface ClientTls {
  /** PEM certificates the server's chain must lead to; null trusts the runtime's default roots. */
  readonly trustedCertificatesPem: string | null;
  /** The client certificate chain and its key (PEM), presented when the server asks; null for none. */
  readonly certificateChainPem: string | null;
  readonly privateKeyPem: string | null;
  readonly privateKeyPassword: string | null;
  /** Kafka's `ssl.endpoint.identification.algorithm=https` (the default); "" turns the check off. */
  readonly checkHostName: boolean;
}

export interface ClientSasl {
  readonly mechanism: SaslMechanism;
  readonly username: string;
  readonly password: string;
}

export interface ClientSecurity {
  readonly protocol: SecurityProtocol;
  /** Set exactly when the protocol is SSL or SASL_SSL. */
  readonly tls: ClientTls | null;
  /** Set exactly when the protocol is SASL_PLAINTEXT or SASL_SSL. */
  readonly sasl: ClientSasl | null;
}

export const plaintextSecurity: ClientSecurity = { protocol: "PLAINTEXT", tls: null, sasl: null };

/** A client property is missing, unknown or malformed; the message names the key and what to write. */
export class ClientConfigError extends Error {
  override readonly name = "ClientConfigError";
}

/** The client property keys `clientSecurityFromProperties` reads. */
export const securityPropertyKeys: readonly string[] = [
  "security.protocol",
  "sasl.mechanism",
  "sasl.jaas.config",
  "ssl.truststore.type",
  "ssl.truststore.location",
  "ssl.truststore.certificates",
  "ssl.keystore.type",
  "ssl.keystore.location",
  "ssl.keystore.certificate.chain",
  "ssl.keystore.key",
  "ssl.key.password",
  "ssl.endpoint.identification.algorithm",
];

/** A PEM store holds a few certificates and a key; a larger file is not one. */
const pemBytesMax = 1024 * 1024;
/** A JAAS line with more options than this is not a login module's. */
const jaasOptionsMax = 32;

const loginModules: Record<SaslMechanism, string> = {
  PLAIN: "org.apache.kafka.common.security.plain.PlainLoginModule",
  "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
  "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
};

/**
 * The security of a tool's connections from Kafka client properties (keys absent mean Kafka's
 * defaults: PLAINTEXT, host name checked). `readText` reads a store's file (tests may pass their own).
 */
export function clientSecurityFromProperties(
  properties: ReadonlyMap<string, string>,
  readText: (path: string) => string = readPemFile,
): ClientSecurity {
  const protocolText = (properties.get("security.protocol") ?? "PLAINTEXT").toUpperCase();
  const protocol = securityProtocols.find((p) => p === protocolText);
  if (protocol === undefined) {
    throw new ClientConfigError(
      `security.protocol=${properties.get("security.protocol")} is not one of ${securityProtocols.join(", ")}`,
    );
  }
  const usesTls = protocol === "SSL" || protocol === "SASL_SSL";
  const usesSasl = protocol === "SASL_PLAINTEXT" || protocol === "SASL_SSL";
  const unused = [...properties.keys()].filter(
    (key) => (!usesTls && key.startsWith("ssl.")) || (!usesSasl && key.startsWith("sasl.")),
  );
  if (unused.length > 0) {
    // Kafka ignores them; a user who wrote them surely meant a protocol that uses them.
    throw new ClientConfigError(
      `${unused.join(", ")} set but security.protocol is ${protocol}, which does not use ${unused.length > 1 ? "them" : "it"}`,
    );
  }
  return {
    protocol,
    tls: usesTls ? tlsSettings(properties, readText) : null,
    sasl: usesSasl ? saslSettings(properties) : null,
  };
}

function saslSettings(properties: ReadonlyMap<string, string>): ClientSasl {
  const mechanismText = properties.get("sasl.mechanism");
  if (mechanismText === undefined) {
    throw new ClientConfigError(
      `sasl.mechanism is required (${saslMechanisms.join(", ")}); Kafka's default GSSAPI (Kerberos) is not supported`,
    );
  }
  const mechanism = saslMechanisms.find((m) => m === mechanismText.toUpperCase());
  if (mechanism === undefined) {
    throw new ClientConfigError(`sasl.mechanism=${mechanismText} is not one of ${saslMechanisms.join(", ")}`);
  }
  const jaas = properties.get("sasl.jaas.config");
  const example = `sasl.jaas.config=${loginModules[mechanism]} required username="USER" password="PASSWORD";`;
  if (jaas === undefined) throw new ClientConfigError(`sasl.jaas.config is required, e.g. ${example}`);
  const { module, options } = parseJaasConfig(jaas);
  if (module !== loginModules[mechanism]) {
    throw new ClientConfigError(
      `sasl.jaas.config names ${module}; ${mechanism} needs ${loginModules[mechanism]}`,
    );
  }
  const username = options.get("username");
  const password = options.get("password");
  if (username === undefined || username === "" || password === undefined || password === "") {
    throw new ClientConfigError(`sasl.jaas.config needs a username and a password, e.g. ${example}`);
  }
  return { mechanism, username, password };
}

/**
 * A JAAS login line as Kafka's client takes it: `<LoginModule class> required key="value" ...;`, one
 * module. Values may be quoted (with `\"` inside) or bare words. The values never appear in errors.
 */
export function parseJaasConfig(text: string): { module: string; options: Map<string, string> } {
  const head = /^\s*([A-Za-z_$][\w$.]*)\s+(required|requisite|sufficient|optional)\b/.exec(text);
  if (head === null) {
    throw new ClientConfigError("sasl.jaas.config must start with a login module class and 'required'");
  }
  const options = new Map<string, string>();
  let rest = text.slice(head[0].length);
  const option = /^\s*([A-Za-z_][\w.-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s";]+))/s;
  for (;;) {
    const match = option.exec(rest);
    if (match === null) break;
    if (options.size >= jaasOptionsMax) throw new ClientConfigError("sasl.jaas.config has too many options");
    options.set(match[1]!, match[2] !== undefined ? match[2].replace(/\\(.)/gs, "$1") : match[3]!);
    rest = rest.slice(match[0].length);
  }
  if (!/^\s*;\s*$/.test(rest)) {
    throw new ClientConfigError(
      "sasl.jaas.config is malformed after its options: each is key=\"value\", and the line ends with ';'",
    );
  }
  return { module: head[1]!, options };
}

function tlsSettings(properties: ReadonlyMap<string, string>, readText: (path: string) => string): ClientTls {
  const algorithm = properties.get("ssl.endpoint.identification.algorithm") ?? "https";
  if (algorithm !== "" && algorithm.toLowerCase() !== "https") {
    throw new ClientConfigError(
      `ssl.endpoint.identification.algorithm=${algorithm}: write https (check the host name) or leave it empty (do not)`,
    );
  }
  const trust = pemStore(properties, "truststore", readText);
  let certificateChainPem: string | null = null;
  let privateKeyPem: string | null = null;
  const keystoreLocation = properties.get("ssl.keystore.location");
  const chain = properties.get("ssl.keystore.certificate.chain");
  const key = properties.get("ssl.keystore.key");
  if (keystoreLocation !== undefined || chain !== undefined || key !== undefined) {
    requirePemType(properties, "keystore");
    if (keystoreLocation !== undefined && (chain !== undefined || key !== undefined)) {
      throw new ClientConfigError(
        "set ssl.keystore.location or ssl.keystore.certificate.chain with ssl.keystore.key, not both",
      );
    }
    const text =
      keystoreLocation !== undefined ? readStore(readText, keystoreLocation, "ssl.keystore.location") : null;
    certificateChainPem = pemBlocks(text ?? chain ?? "", "CERTIFICATE");
    privateKeyPem = pemBlocks(text ?? key ?? "", "(?:ENCRYPTED |RSA |EC )?PRIVATE KEY");
    const source = keystoreLocation !== undefined ? `ssl.keystore.location ${keystoreLocation}` : null;
    if (certificateChainPem === "") {
      throw new ClientConfigError(`${source ?? "ssl.keystore.certificate.chain"} holds no PEM certificate`);
    }
    if (privateKeyPem === "")
      throw new ClientConfigError(`${source ?? "ssl.keystore.key"} holds no PEM private key`);
  }
  return {
    trustedCertificatesPem: trust,
    certificateChainPem,
    privateKeyPem,
    privateKeyPassword: properties.get("ssl.key.password") ?? null,
    checkHostName: algorithm !== "",
  };
}

/** The certificates of `ssl.truststore.location` or `ssl.truststore.certificates`; null when neither. */
function pemStore(
  properties: ReadonlyMap<string, string>,
  store: "truststore",
  readText: (path: string) => string,
): string | null {
  const location = properties.get(`ssl.${store}.location`);
  const inline = properties.get(`ssl.${store}.certificates`);
  if (location === undefined && inline === undefined) return null;
  requirePemType(properties, store);
  if (location !== undefined && inline !== undefined) {
    throw new ClientConfigError(`set ssl.${store}.location or ssl.${store}.certificates, not both`);
  }
  const text = location !== undefined ? readStore(readText, location, `ssl.${store}.location`) : inline!;
  const pem = pemBlocks(text, "CERTIFICATE");
  if (pem === "") {
    throw new ClientConfigError(
      `${location !== undefined ? `ssl.${store}.location ${location}` : `ssl.${store}.certificates`} holds no PEM certificate`,
    );
  }
  return pem;
}

function requirePemType(properties: ReadonlyMap<string, string>, store: "truststore" | "keystore"): void {
  const type = properties.get(`ssl.${store}.type`);
  if (type?.toUpperCase() !== "PEM") {
    throw new ClientConfigError(
      `ssl.${store}.type=${type ?? "JKS (Kafka's default)"}: eddy reads PEM stores only; set ssl.${store}.type=PEM`,
    );
  }
}

function readStore(readText: (path: string) => string, path: string, key: string): string {
  try {
    return readText(path);
  } catch (error) {
    throw new ClientConfigError(`cannot read ${key} ${path}: ${(error as Error).message}`);
  }
}

function readPemFile(path: string): string {
  const bytes = readFileSync(path);
  if (bytes.length > pemBytesMax) throw new Error(`larger than ${pemBytesMax} bytes; is it a PEM file?`);
  return bytes.toString("utf8");
}

/**
 * The PEM blocks of one kind in `text`, rewritten one per line group. Kafka accepts a PEM written on
 * one properties line (spaces where the newlines were), so the base64 body is taken without its
 * whitespace and wrapped again at 64 columns, as TLS libraries expect.
 */
export function pemBlocks(text: string, labelPattern: string): string {
  const block = new RegExp(`-----BEGIN (${labelPattern})-----([\\s\\S]*?)-----END \\1-----`, "g");
  const out: string[] = [];
  for (const match of text.matchAll(block)) {
    const body = match[2]!.replace(/\s+/g, "");
    const lines = body.match(/.{1,64}/g) ?? [];
    out.push(`-----BEGIN ${match[1]}-----\n${lines.join("\n")}\n-----END ${match[1]}-----\n`);
  }
  return out.join("");
}
