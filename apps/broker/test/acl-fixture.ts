/**
 * What the ACL tests share: a SASL_PLAINTEXT broker with Kafka's StandardAuthorizer, PLAIN users
 * admin (the super user), alice and mallory, as a user writes the `--override` lines; and a raw
 * client that authenticates with PLAIN through SaslHandshake v1 and SaslAuthenticate, so a test can
 * send each API exactly once and read its error codes.
 */
import { expect } from "bun:test";
import { ApiKey, ErrorCode } from "@eddy/protocol";
import { RawClient } from "./raw-client.ts";

export const aclUsers = {
  admin: "admin-secret",
  alice: "alice-secret",
  mallory: "mallory-secret",
} as const;
export type AclUser = keyof typeof aclUsers;

export const aclBrokerArgs: string[] = [
  "--override",
  "listeners=SASL_PLAINTEXT://127.0.0.1:9092",
  "--override",
  "sasl.enabled.mechanisms=PLAIN",
  "--override",
  `listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${Object.entries(
    aclUsers,
  )
    .map(([user, password]) => `user_${user}="${password}"`)
    .join(" ")};`,
  "--override",
  "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
  "--override",
  "super.users=User:admin",
];

/** A raw connection authenticated as `user` with PLAIN. */
export async function rawAs(port: number, user: AclUser): Promise<RawClient> {
  const client = await RawClient.connect(port);
  expect((await client.request(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" })).errorCode).toBe(
    ErrorCode.NONE,
  );
  const token = new TextEncoder().encode(`\u0000${user}\u0000${aclUsers[user]}`);
  const answer = await client.request(ApiKey.SaslAuthenticate, 1, { authBytes: token });
  expect(answer.errorCode).toBe(ErrorCode.NONE);
  return client;
}
