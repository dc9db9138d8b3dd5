/**
 * `eddy users list|describe|alter|delete`: SCRAM credentials, as `kafka-configs.sh --entity-type
 * users` manages them, through DescribeUserScramCredentials (50) and AlterUserScramCredentials (51)
 * v0. Owns the salted password: as Kafka's admin client, this tool draws a random salt and sends
 * PBKDF2(password, salt, iterations) with the mechanism's hash (Kafka's ScramFormatter.hi), never the
 * password itself. Must never print or send a password, and never leave one on a command line it
 * builds: `--password` or one line of stdin are the only sources.
 */
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { ApiKey, ErrorCode } from "@eddy/protocol";
import { type Admin, ApiVersion, codeText, KafkaError } from "./admin.ts";

/** Kafka's ScramMechanism values and the hash and key length of each. */
export const scramMechanisms = {
  "SCRAM-SHA-256": { value: 1, hash: "sha256", keyBytes: 32 },
  "SCRAM-SHA-512": { value: 2, hash: "sha512", keyBytes: 64 },
} as const;
export type ScramMechanism = keyof typeof scramMechanisms;

/** Kafka's bounds on iterations (ScramMechanism.minIterations, and its controller's maximum). */
export const scramIterationsMin = 4096;
export const scramIterationsMax = 16384;
/** Bytes of random salt per credential (Kafka's admin client draws a comparable amount). */
const saltBytes = 32;
/** The longest password read from stdin; a longer line is refused, not cut. */
export const passwordCharsMax = 1_024;

export interface UserCredential {
  readonly user: string;
  readonly mechanism: string;
  readonly iterations: number;
}

const mechanismName = (value: number): string =>
  Object.entries(scramMechanisms).find(([, m]) => m.value === value)?.[0] ?? `UNKNOWN(${value})`;

function describeError(what: string, code: number, message: string | null): KafkaError {
  const hint =
    code === ErrorCode.CLUSTER_AUTHORIZATION_FAILED
      ? "; SCRAM credentials need DESCRIBE (list) or ALTER (alter, delete) on the cluster, or a super user"
      : "";
  return new KafkaError(`cannot ${what}: ${codeText(code, message)}${hint}`, code);
}

/** Every user's credentials (`users` null), or the named users'; a user without any is an error. */
export async function describeUsers(
  admin: Admin,
  users: readonly string[] | null,
): Promise<UserCredential[]> {
  const response = await admin.bootstrapConnection.request(
    ApiKey.DescribeUserScramCredentials,
    ApiVersion.describeUserScramCredentials,
    { users: users === null ? null : users.map((name) => ({ name })) },
  );
  if (response.errorCode !== ErrorCode.NONE)
    throw describeError("describe SCRAM credentials", response.errorCode, response.errorMessage);
  const credentials: UserCredential[] = [];
  for (const r of response.results) {
    if (r.errorCode === ErrorCode.RESOURCE_NOT_FOUND)
      throw new KafkaError(
        `user '${r.user}' has no SCRAM credential; 'eddy users list' shows who has`,
        r.errorCode,
      );
    if (r.errorCode !== ErrorCode.NONE)
      throw describeError(`describe user '${r.user}'`, r.errorCode, r.errorMessage);
    for (const c of r.credentialInfos)
      credentials.push({ user: r.user, mechanism: mechanismName(c.mechanism), iterations: c.iterations });
  }
  return credentials.sort((a, b) =>
    a.user === b.user ? a.mechanism.localeCompare(b.mechanism) : a.user < b.user ? -1 : 1,
  );
}

/** Sets `user`'s credential for `mechanism` (created or replaced). */
export async function alterUser(
  admin: Admin,
  user: string,
  mechanism: ScramMechanism,
  iterations: number,
  password: string,
): Promise<UserCredential> {
  const m = scramMechanisms[mechanism];
  if (!(Number.isInteger(iterations) && iterations >= scramIterationsMin && iterations <= scramIterationsMax))
    throw new KafkaError(
      `bug: iterations ${iterations} outside ${scramIterationsMin}..${scramIterationsMax}`,
    );
  const salt = randomBytes(saltBytes);
  const saltedPassword = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, m.keyBytes, m.hash);
  const response = await admin.bootstrapConnection.request(
    ApiKey.AlterUserScramCredentials,
    ApiVersion.alterUserScramCredentials,
    {
      deletions: [],
      upsertions: [
        {
          name: user,
          mechanism: m.value,
          iterations,
          salt: new Uint8Array(salt),
          saltedPassword: new Uint8Array(saltedPassword),
        },
      ],
    },
  );
  checkAltered(response.results, `set the ${mechanism} credential of '${user}'`);
  return { user, mechanism, iterations };
}

/** Deletes `user`'s credentials: the named mechanism's, or every one the user has. */
export async function deleteUser(
  admin: Admin,
  user: string,
  mechanism: ScramMechanism | null,
): Promise<UserCredential[]> {
  const held = await describeUsers(admin, [user]);
  const gone = mechanism === null ? held : held.filter((c) => c.mechanism === mechanism);
  if (gone.length === 0)
    throw new KafkaError(
      `user '${user}' has no ${mechanism} credential; 'eddy users describe ${user}' shows it`,
    );
  const response = await admin.bootstrapConnection.request(
    ApiKey.AlterUserScramCredentials,
    ApiVersion.alterUserScramCredentials,
    {
      deletions: gone.map((c) => ({
        name: user,
        mechanism: scramMechanisms[c.mechanism as ScramMechanism].value,
      })),
      upsertions: [],
    },
  );
  checkAltered(response.results, `delete the credentials of '${user}'`);
  return gone;
}

function checkAltered(
  results: readonly { user: string; errorCode: number; errorMessage: string | null }[],
  what: string,
): void {
  if (results.length === 0) throw new KafkaError(`cannot ${what}: the broker answered nothing`);
  for (const r of results)
    if (r.errorCode !== ErrorCode.NONE) throw describeError(what, r.errorCode, r.errorMessage);
}

/**
 * The password: `given` (from --password), else the first line of stdin without its line end, as
 * `read` gives it. An empty or overlong one is refused with what to do.
 */
export async function passwordFrom(given: string | null, read: () => Promise<string>): Promise<string> {
  const password = given ?? (await read()).split(/\r?\n/, 1)[0] ?? "";
  if (password === "")
    throw new KafkaError("no password: give --password P or write it as one line on stdin");
  if (password.length > passwordCharsMax)
    throw new KafkaError(`the password is longer than ${passwordCharsMax} characters`);
  return password;
}
