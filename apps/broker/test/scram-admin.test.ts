/**
 * SCRAM credentials managed with AlterUserScramCredentials and DescribeUserScramCredentials (issue 14).
 * Goal: a user created through the API authenticates at once with unmodified clients, a deleted user
 * and a wrong password are refused with nothing served, the credentials survive a restart, Describe
 * never returns a salt, key or salted password, and Kafka's errors and the CLUSTER checks hold.
 * Method: kafka-python 2.0.2's KafkaAdminClient and kafkajs 2.2.4 have no SCRAM admin API, so the
 * super user drives both APIs with the raw client (PLAIN over SaslHandshake v1); kcat
 * (`sasl.mechanisms=SCRAM-SHA-256`) and kafkajs then authenticate as the new user over SASL_PLAINTEXT.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { ApiKey, ErrorCode } from "@eddy/protocol";
import { spawnSync } from "bun";
import { Kafka, logLevel, type SASLOptions } from "kafkajs";
import { type RunningBroker, removeDir, startBroker } from "./harness.ts";
import { RawClient } from "./raw-client.ts";
import { kcatSasl, ScramClient, saslBrokerArgs, users } from "./sasl-fixture.ts";

const args = [
  ...saslBrokerArgs,
  "--override",
  "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
  "--override",
  `super.users=User:${users.PLAIN.username}`,
  "--override",
  "allow.everyone.if.no.acl.found=true",
];

const erin = { username: "erin", password: "erin-secret" };
const sha256 = 1;
const sha512 = 2;

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ args });
});
afterAll(async () => {
  if (broker.process.exitCode === null) expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

/** A raw connection authenticated with PLAIN as `username` (the super user unless told). */
async function rawAs(username: string = users.PLAIN.username, password: string = users.PLAIN.password) {
  const client = await RawClient.connect(broker.port);
  expect((await client.request(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" })).errorCode).toBe(
    ErrorCode.NONE,
  );
  const token = new TextEncoder().encode(`\u0000${username}\u0000${password}`);
  expect((await client.request(ApiKey.SaslAuthenticate, 1, { authBytes: token })).errorCode).toBe(
    ErrorCode.NONE,
  );
  return client;
}

/** What a client's admin sends: a random salt and the password salted with PBKDF2 (RFC 5802). */
function upsertion(name: string, password: string, iterations = 8192, mechanism = sha256) {
  const salt = randomBytes(32);
  const hash = mechanism === sha512 ? "sha512" : "sha256";
  const saltedPassword = pbkdf2Sync(password, salt, iterations, mechanism === sha512 ? 64 : 32, hash);
  return { name, mechanism, iterations, salt, saltedPassword };
}

function kcatRun(argv: string[], input?: string): { code: number; out: string; err: string } {
  const r = spawnSync(["kcat", ...argv], {
    stdin: input === undefined ? "ignore" : new TextEncoder().encode(input),
    timeout: 20_000,
  });
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

const asErin = (password = erin.password) => kcatSasl("SCRAM-SHA-256", erin.username, password);

/** Topics the broker has, as the super user sees them. */
function topics(): string[] {
  const r = kcatRun([
    "-L",
    "-J",
    "-b",
    broker.bootstrap,
    ...kcatSasl("PLAIN", users.PLAIN.username, users.PLAIN.password),
  ]);
  expect(r.code).toBe(0);
  return (JSON.parse(r.out) as { topics: { topic: string }[] }).topics.map((t) => t.topic);
}

function produceAsErin(topic: string, password = erin.password) {
  return kcatRun(["-P", "-b", broker.bootstrap, "-t", topic, ...asErin(password)], "a\nb\n");
}

const kafkajsAs = (username: string, password: string) =>
  new Kafka({
    clientId: "eddy-scram-admin",
    brokers: [broker.bootstrap],
    sasl: { mechanism: "scram-sha-256", username, password } as SASLOptions,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });

describe("SCRAM credentials through the admin APIs", () => {
  test("kafka-python 2.0.2's KafkaAdminClient has no SCRAM credential API (so the raw client drives it)", () => {
    const r = spawnSync([
      "/usr/bin/python3",
      "-c",
      "import kafka; print([m for m in dir(kafka.KafkaAdminClient) if 'scram' in m.lower()])",
    ]);
    expect(r.stdout.toString().trim()).toBe("[]");
  });

  test("a created user authenticates at once with kcat and kafkajs; Describe shows mechanism and iterations only", async () => {
    const admin = await rawAs();
    const up = upsertion(erin.username, erin.password);
    const alter = await admin.request(ApiKey.AlterUserScramCredentials, 0, {
      deletions: [],
      upsertions: [up],
    });
    expect(alter.results).toEqual([{ user: "erin", errorCode: ErrorCode.NONE, errorMessage: null }]);

    admin.send(ApiKey.DescribeUserScramCredentials, 0, { users: null });
    // Neither the salt nor the salted password leaves in the answer's bytes.
    const bytes = Buffer.from((await admin.nextFrame())!);
    expect(bytes.indexOf(Buffer.from(up.salt))).toBe(-1);
    expect(bytes.indexOf(Buffer.from(up.saltedPassword))).toBe(-1);
    const described = await admin.request(ApiKey.DescribeUserScramCredentials, 0, {
      users: [{ name: "erin" }],
    });
    expect(described.errorCode).toBe(ErrorCode.NONE);
    expect(described.results).toEqual([
      {
        user: "erin",
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        credentialInfos: [{ mechanism: sha256, iterations: 8192 }],
      },
    ]);

    expect(produceAsErin("scram-erin").code).toBe(0);
    const read = kcatRun([
      "-C",
      "-b",
      broker.bootstrap,
      "-t",
      "scram-erin",
      "-o",
      "beginning",
      "-e",
      "-q",
      ...asErin(),
    ]);
    expect(read.out.split("\n").filter((l) => l !== "")).toEqual(["a", "b"]);

    const producer = kafkajsAs(erin.username, erin.password).producer();
    await producer.connect();
    await producer.send({ topic: "scram-erin", messages: [{ value: "c" }] });
    await producer.disconnect();
    admin.close();
  }, 60_000);

  test("a wrong password is refused and nothing is served", async () => {
    const r = produceAsErin("scram-wrong", "not-erins");
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("Authentication failed");
    const error = await kafkajsAs(erin.username, "not-erins")
      .producer()
      .connect()
      .then(
        () => null,
        (e: Error) => e,
      );
    expect(error?.message ?? "").toContain("SASL SCRAM SHA256 authentication failed");
    expect(topics()).not.toContain("scram-wrong");
  }, 60_000);

  test("Kafka's errors: iterations, mechanism, an unknown user, a user twice", async () => {
    const admin = await rawAs();
    const alter = await admin.request(ApiKey.AlterUserScramCredentials, 0, {
      deletions: [
        { name: "ghost", mechanism: sha256 },
        { name: "twice", mechanism: sha256 },
      ],
      upsertions: [
        upsertion("few", "x", 4095),
        upsertion("many", "x", 16_385),
        { ...upsertion("md5", "x"), mechanism: 0 },
        upsertion("twice", "x"),
      ],
    });
    const codes = Object.fromEntries(alter.results.map((r) => [r.user, r.errorCode]));
    expect(codes).toEqual({
      ghost: ErrorCode.RESOURCE_NOT_FOUND,
      twice: ErrorCode.DUPLICATE_RESOURCE,
      few: ErrorCode.UNACCEPTABLE_CREDENTIAL,
      many: ErrorCode.UNACCEPTABLE_CREDENTIAL,
      md5: ErrorCode.UNSUPPORTED_SASL_MECHANISM,
    });
    const described = await admin.request(ApiKey.DescribeUserScramCredentials, 0, {
      users: [{ name: "nobody" }, { name: "erin" }, { name: "erin" }],
    });
    expect(described.results.map((r) => [r.user, r.errorCode])).toEqual([
      ["nobody", ErrorCode.RESOURCE_NOT_FOUND],
      ["erin", ErrorCode.DUPLICATE_RESOURCE],
    ]);
  });

  test("the image's credential comes before the JAAS property's; JAAS users still authenticate", async () => {
    const bob = users["SCRAM-SHA-256"];
    const asBob = (password: string) => kcatSasl("SCRAM-SHA-256", bob.username, password);
    expect(kcatRun(["-L", "-b", broker.bootstrap, ...asBob(bob.password)]).code).toBe(0);
    const admin = await rawAs();
    const alter = await admin.request(ApiKey.AlterUserScramCredentials, 0, {
      deletions: [],
      upsertions: [upsertion(bob.username, "bob-new-secret")],
    });
    expect(alter.results[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(kcatRun(["-L", "-b", broker.bootstrap, ...asBob("bob-new-secret")]).code).toBe(0);
    expect(kcatRun(["-L", "-b", broker.bootstrap, ...asBob(bob.password)]).code).not.toBe(0);
    // Deleting the image's credential falls back to the JAAS one.
    const del = await admin.request(ApiKey.AlterUserScramCredentials, 0, {
      deletions: [{ name: bob.username, mechanism: sha256 }],
      upsertions: [],
    });
    expect(del.results[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(kcatRun(["-L", "-b", broker.bootstrap, ...asBob(bob.password)]).code).toBe(0);
  }, 60_000);

  test("ALTER and DESCRIBE on the cluster are checked", async () => {
    const admin = await rawAs();
    const deny = (operation: number) => ({
      resourceType: 4,
      resourceName: "kafka-cluster",
      resourcePatternType: 3,
      principal: "User:alice-not",
      host: "*",
      operation,
      permissionType: 2,
    });
    // An ACL naming the cluster closes it to every principal no ACL allows (allow.everyone.if.no.acl.found no longer applies).
    const created = await admin.request(ApiKey.CreateAcls, 1, { creations: [deny(7), deny(8)] });
    expect(created.results.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    // The super user is still allowed (the last test alters as her); erin, authenticated with SCRAM, is not.
    const asErinRaw = await RawClient.connect(broker.port);
    const scram = new ScramClient("SCRAM-SHA-256", erin.username, erin.password);
    expect((await asErinRaw.request(ApiKey.SaslHandshake, 1, { mechanism: "SCRAM-SHA-256" })).errorCode).toBe(
      ErrorCode.NONE,
    );
    const first = await asErinRaw.request(ApiKey.SaslAuthenticate, 1, { authBytes: scram.clientFirst() });
    const final = await asErinRaw.request(ApiKey.SaslAuthenticate, 1, {
      authBytes: scram.clientFinal(first.authBytes).message,
    });
    expect(final.errorCode).toBe(ErrorCode.NONE);
    const alter = await asErinRaw.request(ApiKey.AlterUserScramCredentials, 0, {
      deletions: [{ name: "erin", mechanism: sha256 }],
      upsertions: [],
    });
    expect(alter.results).toEqual([
      {
        user: "erin",
        errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
        errorMessage: "Cluster authorization failed.",
      },
    ]);
    const described = await asErinRaw.request(ApiKey.DescribeUserScramCredentials, 0, { users: null });
    expect(described.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    expect(described.results).toEqual([]);
  }, 60_000);

  test("credentials survive a restart; a deleted user is refused and nothing is served", async () => {
    expect(await broker.stop()).toBe(0);
    broker = await startBroker({ args, dataDir: broker.dataDir });
    expect(kcatRun(["-L", "-b", broker.bootstrap, ...asErin()]).code).toBe(0);
    const admin = await rawAs();
    const described = await admin.request(ApiKey.DescribeUserScramCredentials, 0, { users: null });
    expect(described.results.map((r) => r.user)).toEqual(["erin"]);
    const del = await admin.request(ApiKey.AlterUserScramCredentials, 0, {
      deletions: [{ name: "erin", mechanism: sha256 }],
      upsertions: [],
    });
    expect(del.results).toEqual([{ user: "erin", errorCode: ErrorCode.NONE, errorMessage: null }]);
    const r = produceAsErin("scram-deleted");
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("Authentication failed");
    expect(topics()).not.toContain("scram-deleted");
  }, 90_000);
});
