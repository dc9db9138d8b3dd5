/**
 * What the SASL tests share: a SASL_PLAINTEXT broker's `--override` lines (PLAIN, SCRAM-SHA-256 and
 * SCRAM-SHA-512, one user each), the client settings of each user, and a small SCRAM client (RFC
 * 5802) for raw-frame tests that must send what real clients never do.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

export const users = {
  PLAIN: { username: "alice", password: "alice-secret" },
  "SCRAM-SHA-256": { username: "bob", password: "bob-secret" },
  "SCRAM-SHA-512": { username: "carol", password: "carol-secret" },
} as const;
export type Mechanism = keyof typeof users;
export const mechanisms = Object.keys(users) as Mechanism[];

/** The broker's command line, as a user writes it. */
export const saslBrokerArgs: string[] = [
  "--override",
  "listeners=SASL_PLAINTEXT://127.0.0.1:9092",
  "--override",
  "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
  "--override",
  'listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";',
  "--override",
  'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required user_bob="bob-secret" user_dave="pässwörd-ü";',
  "--override",
  'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required user_carol="carol-secret";',
];

/** kcat's `-X` settings for a mechanism and user. */
export function kcatSasl(mechanism: Mechanism, username: string, password: string): string[] {
  return [
    "-X",
    "security.protocol=SASL_PLAINTEXT",
    "-X",
    `sasl.mechanisms=${mechanism}`,
    "-X",
    `sasl.username=${username}`,
    "-X",
    `sasl.password=${password}`,
  ];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A SCRAM client that exposes each message, so a test can tamper with them. */
export class ScramClient {
  readonly clientNonce = randomBytes(18).toString("base64");
  readonly clientFirstBare: string;
  private readonly hash: "sha256" | "sha512";

  constructor(
    mechanism: "SCRAM-SHA-256" | "SCRAM-SHA-512",
    readonly username: string,
    private readonly password: string,
  ) {
    this.hash = mechanism === "SCRAM-SHA-256" ? "sha256" : "sha512";
    this.clientFirstBare = `n=${username},r=${this.clientNonce}`;
  }

  clientFirst(): Uint8Array {
    return enc.encode(`n,,${this.clientFirstBare}`);
  }

  /** The client-final message answering `serverFirst`, with the nonce it carries replaceable. */
  clientFinal(
    serverFirst: Uint8Array,
    nonceOverride?: string,
  ): { message: Uint8Array; serverSignature: string } {
    const text = dec.decode(serverFirst);
    const attrs = new Map(text.split(",").map((kv) => [kv.slice(0, 1), kv.slice(2)]));
    const nonce = nonceOverride ?? attrs.get("r")!;
    const salted = pbkdf2Sync(
      this.password,
      Buffer.from(attrs.get("s")!, "base64"),
      Number(attrs.get("i")),
      this.hash === "sha256" ? 32 : 64,
      this.hash,
    );
    const clientKey = createHmac(this.hash, salted).update("Client Key").digest();
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${text},${withoutProof}`;
    const signature = createHmac(this.hash, storedKey).update(authMessage).digest();
    const proof = clientKey.map((b, i) => b ^ signature[i]!);
    const serverKey = createHmac(this.hash, salted).update("Server Key").digest();
    const serverSignature = createHmac(this.hash, serverKey).update(authMessage).digest("base64");
    return {
      message: enc.encode(`${withoutProof},p=${Buffer.from(proof).toString("base64")}`),
      serverSignature: `v=${serverSignature}`,
    };
  }
}
