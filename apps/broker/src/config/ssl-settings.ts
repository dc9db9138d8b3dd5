/**
 * The TLS settings of an `SSL` or `SASL_SSL` listener, in Kafka's property names: a PEM key store
 * (`ssl.keystore.type=PEM` with `ssl.keystore.location`, a file holding the private key and its
 * certificate chain, or `ssl.keystore.certificate.chain` and `ssl.keystore.key` inline), an encrypted
 * key's `ssl.key.password`, a PEM trust store for client certificates (`ssl.truststore.location` or
 * `ssl.truststore.certificates`) and `ssl.client.auth=none|requested|required`. Each key may be
 * overridden for one listener as `listener.name.<listener>.ssl.<key>` (the listener in lower case),
 * key by key, as Kafka does. On a SASL_SSL listener only the listener's own `ssl.client.auth` asks
 * for client certificates; the broker-wide one is ignored there (Kafka's rule since KIP-684).
 *
 * Owns reading these keys and the PEM material they name, and checking it before anything binds: a
 * file that is missing or unreadable, a key that does not parse (or is encrypted without its
 * password), a certificate that does not match its key or has expired, an empty trust store. Every
 * problem is a `ConfigError` naming the property and the file, never a key's or password's text.
 * It never opens a socket.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { ConfigError } from "./resolve.ts";

export type SslClientAuth = "none" | "requested" | "required";

export interface ListenerTls {
  /** The listener's name, upper case. */
  readonly listener: string;
  /** The server certificate first, then its intermediates, as PEM. */
  readonly certificateChainPem: string;
  /** The private key of the first certificate, as PEM (possibly encrypted). */
  readonly privateKeyPem: string;
  /** `ssl.key.password`, for an encrypted private key. */
  readonly privateKeyPassword: string | null;
  /** The CA certificates client certificates must chain to, as PEM; null without a trust store. */
  readonly trustedCertificatesPem: string | null;
  readonly clientAuth: SslClientAuth;
  /** The server certificate's subject and expiry, for the start-up log. */
  readonly certificateSubject: string;
  readonly certificateValidTo: string;
}

export interface SslTexts {
  /** A SASL_SSL listener: the broker-wide `ssl.client.auth` does not apply to it. */
  readonly sasl: boolean;
  /** A property's text by its full name, or null when unset. */
  readonly property: (name: string) => string | null;
  /** Now, in ms since the epoch: a server certificate that has expired is refused at start. */
  readonly nowMs: number;
}

/** Bounds a PEM file: a key store this large is a mistake (a log file named by accident). */
const pemFileBytesMax = 1_048_576;
/** Bounds the certificates of a chain or trust store. */
const pemCertificatesMax = 1_000;

interface PemBlock {
  readonly label: string;
  readonly text: string;
}

/** The PEM blocks of a text (`-----BEGIN X-----` ... `-----END X-----`), in order, bounded. */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const pattern = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
  for (const match of text.matchAll(pattern)) {
    blocks.push({ label: match[1]!, text: `${match[0]}\n` });
    if (blocks.length > pemCertificatesMax + 1) break;
  }
  return blocks;
}

const isKeyLabel = (label: string): boolean => label.endsWith("PRIVATE KEY");

/** Reads a PEM file a property names; a missing, unreadable or oversized file names the property. */
function readPemFile(key: string, path: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    throw new ConfigError(
      `${key}=${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  if (size > pemFileBytesMax) {
    throw new ConfigError(
      `${key}=${path}: ${size} bytes is more than a PEM file holds (at most ${pemFileBytesMax})`,
    );
  }
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(
      `${key}=${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
}

/** Parses certificates; `where` names their source in messages. */
function certificatesOf(blocks: readonly PemBlock[], where: string): X509Certificate[] {
  const certificates = blocks.filter((b) => b.label === "CERTIFICATE");
  if (certificates.length === 0)
    throw new ConfigError(`${where}: no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  if (certificates.length > pemCertificatesMax) {
    throw new ConfigError(`${where}: more than ${pemCertificatesMax} certificates`);
  }
  return certificates.map((b, i) => {
    try {
      return new X509Certificate(b.text);
    } catch {
      throw new ConfigError(`${where}: certificate ${i + 1} does not parse as X.509`);
    }
  });
}

/** Parses the one private key of a key store; an encrypted key needs `ssl.key.password`. */
function privateKeyOf(
  blocks: readonly PemBlock[],
  where: string,
  password: string | null,
): { pem: string; key: KeyObject } {
  const keys = blocks.filter((b) => isKeyLabel(b.label));
  if (keys.length !== 1) {
    throw new ConfigError(
      `${where}: expected exactly one PEM private key (-----BEGIN PRIVATE KEY-----), found ${keys.length}`,
    );
  }
  const pem = keys[0]!.text;
  try {
    return { pem, key: createPrivateKey({ key: pem, format: "pem", passphrase: password ?? undefined }) };
  } catch {
    const encrypted = keys[0]!.label.includes("ENCRYPTED") || pem.includes("Proc-Type: 4,ENCRYPTED");
    throw new ConfigError(
      encrypted
        ? `${where}: the private key is encrypted and ${password === null ? "ssl.key.password is not set" : "ssl.key.password does not decrypt it"}`
        : `${where}: the private key does not parse`,
    );
  }
}

/** The settings of one SSL or SASL_SSL listener, read and checked (see the module header). */
export function toListenerTls(listener: string, texts: SslTexts): ListenerTls {
  const prefix = `listener.name.${listener.toLowerCase()}.`;
  // Each key's own value for this listener wins over the broker-wide one, key by key.
  const keyOf = (name: string): string => (texts.property(prefix + name) !== null ? prefix + name : name);
  const get = (name: string): { key: string; text: string | null } => {
    const key = keyOf(name);
    const text = texts.property(key);
    return { key, text: text === null || text.trim() === "" ? null : text };
  };
  const context = `listener ${listener}`;

  const storeType = get("ssl.keystore.type");
  if ((storeType.text ?? "JKS").toUpperCase() !== "PEM") {
    throw new ConfigError(
      `${context}: ${storeType.key}=${storeType.text ?? "JKS"}; Eddy reads PEM key stores only, so set ssl.keystore.type=PEM (Kafka's default is JKS)`,
    );
  }
  const storePassword = get("ssl.keystore.password");
  if (storePassword.text !== null) {
    throw new ConfigError(
      `${context}: ${storePassword.key} cannot be used with a PEM key store (as in Kafka); an encrypted key takes ssl.key.password`,
    );
  }
  const location = get("ssl.keystore.location");
  const chain = get("ssl.keystore.certificate.chain");
  const inlineKey = get("ssl.keystore.key");
  const password = get("ssl.key.password").text;
  let blocks: PemBlock[];
  let keyWhere: string;
  let chainWhere: string;
  if (location.text !== null) {
    if (chain.text !== null || inlineKey.text !== null) {
      throw new ConfigError(
        `${context}: set either ${location.key} or ssl.keystore.certificate.chain with ssl.keystore.key, not both`,
      );
    }
    const path = location.text.trim();
    blocks = pemBlocks(readPemFile(location.key, path));
    keyWhere = `${location.key}=${path}`;
    chainWhere = keyWhere;
  } else if (chain.text !== null && inlineKey.text !== null) {
    blocks = [
      ...pemBlocks(chain.text).filter((b) => !isKeyLabel(b.label)),
      ...pemBlocks(inlineKey.text).filter((b) => isKeyLabel(b.label)),
    ];
    keyWhere = inlineKey.key;
    chainWhere = chain.key;
  } else if (chain.text !== null || inlineKey.text !== null) {
    throw new ConfigError(
      `${context}: ${chain.text !== null ? chain.key : inlineKey.key} is set but ${chain.text !== null ? "ssl.keystore.key" : "ssl.keystore.certificate.chain"} is not; an inline PEM key store needs both`,
    );
  } else {
    throw new ConfigError(
      `${context} uses TLS but has no key store: set ssl.keystore.type=PEM and ssl.keystore.location (a PEM file with the key and certificate chain), or ssl.keystore.certificate.chain and ssl.keystore.key`,
    );
  }
  const certificates = certificatesOf(blocks, chainWhere);
  const { pem: privateKeyPem, key } = privateKeyOf(blocks, keyWhere, password);
  const leaf = certificates[0]!;
  if (!leaf.checkPrivateKey(key)) {
    throw new ConfigError(
      `${context}: the private key (${keyWhere}) does not match the certificate ${oneLine(leaf.subject)} (${chainWhere})`,
    );
  }
  if (leaf.validToDate.getTime() <= texts.nowMs) {
    throw new ConfigError(
      `${context}: the certificate ${oneLine(leaf.subject)} (${chainWhere}) expired on ${leaf.validTo}`,
    );
  }

  const trustType = get("ssl.truststore.type");
  const trustLocation = get("ssl.truststore.location");
  const trustInline = get("ssl.truststore.certificates");
  const trustPassword = get("ssl.truststore.password");
  let trustedCertificatesPem: string | null = null;
  if (trustLocation.text !== null || trustInline.text !== null) {
    if ((trustType.text ?? "JKS").toUpperCase() !== "PEM") {
      throw new ConfigError(
        `${context}: ${trustType.key}=${trustType.text ?? "JKS"}; Eddy reads PEM trust stores only, so set ssl.truststore.type=PEM (Kafka's default is JKS)`,
      );
    }
    if (trustPassword.text !== null) {
      throw new ConfigError(`${context}: ${trustPassword.key} cannot be used with a PEM trust store`);
    }
    if (trustLocation.text !== null && trustInline.text !== null) {
      throw new ConfigError(`${context}: set either ${trustLocation.key} or ${trustInline.key}, not both`);
    }
    const where =
      trustLocation.text !== null ? `${trustLocation.key}=${trustLocation.text.trim()}` : trustInline.key;
    const text =
      trustLocation.text !== null
        ? readPemFile(trustLocation.key, trustLocation.text.trim())
        : trustInline.text!;
    const trusted = pemBlocks(text).filter((b) => b.label === "CERTIFICATE");
    certificatesOf(trusted, where);
    trustedCertificatesPem = trusted.map((b) => b.text).join("");
  }

  // KIP-684: SASL_SSL listeners authenticate with SASL, and a broker-wide ssl.client.auth meant for
  // SSL listeners must not start asking their clients for certificates.
  const auth =
    texts.sasl && texts.property(`${prefix}ssl.client.auth`) === null
      ? { key: `${prefix}ssl.client.auth`, text: null }
      : get("ssl.client.auth");
  const clientAuth = (auth.text ?? "none").trim().toLowerCase();
  if (clientAuth !== "none" && clientAuth !== "requested" && clientAuth !== "required") {
    throw new ConfigError(`${context}: ${auth.key}=${auth.text}; expected none, requested or required`);
  }
  if (clientAuth !== "none" && trustedCertificatesPem === null) {
    throw new ConfigError(
      `${context}: ${auth.key}=${clientAuth} needs a trust store to verify client certificates (ssl.truststore.type=PEM with ssl.truststore.location or ssl.truststore.certificates)`,
    );
  }
  return {
    listener,
    certificateChainPem: blocks
      .filter((b) => b.label === "CERTIFICATE")
      .map((b) => b.text)
      .join(""),
    privateKeyPem,
    privateKeyPassword: password,
    trustedCertificatesPem,
    clientAuth,
    certificateSubject: oneLine(leaf.subject),
    certificateValidTo: leaf.validTo,
  };
}

/** A multi-line X.509 name (`C=US\nCN=x`) on one line, in the order the certificate holds it. */
function oneLine(name: string): string {
  return name.split("\n").join(", ");
}
