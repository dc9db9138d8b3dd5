/**
 * `eddy acls ...` and `eddy users ...` against a broker started as users start it, with Kafka's
 * StandardAuthorizer: a PLAINTEXT listener whose anonymous user is the super user (the CLI's
 * connection) and a SASL_PLAINTEXT listener with SCRAM-SHA-256 and SCRAM-SHA-512 and no JAAS users,
 * so only credentials the CLI creates authenticate. Shows: ACLs created with kafka-acls.sh's words
 * are listed (text and JSON parsed back), filtered, enforced (kcat as the SCRAM user reads a topic
 * only once READ is granted) and deleted; users are created with a password from --password or
 * stdin, described without secrets, authenticate with kcat, and are deleted so they no longer do;
 * bad words exit 2 naming the choices, broker refusals exit 1 saying why.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { kcat, type RunningBroker, removeDir, startBroker } from "@eddy/broker/test/harness.ts";
import { spawnSync } from "bun";
import { eddy } from "./run.ts";

let broker: RunningBroker;
let saslPort = 0;
let b: string[];

/** A port free now, for the SASL listener (the harness's --port 0 names the first listener only). */
function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

beforeAll(async () => {
  saslPort = freePort();
  broker = await startBroker({
    args: [
      "--override",
      `listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:${saslPort}`,
      "--override",
      "sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512",
      "--override",
      "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
      "--override",
      "super.users=User:ANONYMOUS",
    ],
  });
  b = ["-b", broker.bootstrap];
  kcat(["-P", "-b", broker.bootstrap, "-t", "acl-t"], "one\ntwo\n");
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

/** kcat as a SCRAM user on the SASL listener: the exit code and what it printed. */
function kcatAs(
  mechanism: string,
  user: string,
  password: string,
  args: string[],
): { code: number; out: string } {
  const result = spawnSync(
    [
      "kcat",
      "-b",
      `127.0.0.1:${saslPort}`,
      "-X",
      "security.protocol=SASL_PLAINTEXT",
      "-X",
      `sasl.mechanisms=${mechanism}`,
      "-X",
      `sasl.username=${user}`,
      "-X",
      `sasl.password=${password}`,
      "-m",
      "5",
      ...args,
    ],
    { timeout: 20_000 },
  );
  return { code: result.exitCode ?? -1, out: `${result.stdout.toString()}${result.stderr.toString()}` };
}

describe("eddy users", () => {
  test("alter from --password and stdin, list, describe, authenticate with kcat, delete", async () => {
    const made = await eddy([...b, "users", "alter", "alice", "--password", "alice-secret"]);
    expect(made).toMatchObject({
      code: 0,
      out: "Set the SCRAM-SHA-256 credential of 'alice' (4096 iterations).\n",
    });
    const fromStdin = await eddy(
      [...b, "users", "alter", "alice", "--mechanism", "scram-sha-512", "--iterations", "8192", "-o", "json"],
      "alice-512\n",
    );
    expect(fromStdin.code).toBe(0);
    expect(JSON.parse(fromStdin.out)).toEqual({
      altered: [{ user: "alice", mechanism: "SCRAM-SHA-512", iterations: 8192 }],
    });
    await eddy([...b, "users", "alter", "bob", "--password", "bob-secret"]);

    const listed = await eddy([...b, "users", "list", "-o", "json"]);
    expect(JSON.parse(listed.out)).toEqual([
      { user: "alice", mechanism: "SCRAM-SHA-256", iterations: 4096 },
      { user: "alice", mechanism: "SCRAM-SHA-512", iterations: 8192 },
      { user: "bob", mechanism: "SCRAM-SHA-256", iterations: 4096 },
    ]);
    const described = await eddy([...b, "users", "describe", "alice"]);
    expect(described.out).toBe(
      "USER   MECHANISM      ITERATIONS\nalice  SCRAM-SHA-256  4096\nalice  SCRAM-SHA-512  8192\n",
    );
    expect(described.out).not.toContain("secret");

    // Both credentials authenticate (metadata is served to any authenticated user); a wrong password does not.
    expect(kcatAs("SCRAM-SHA-256", "alice", "alice-secret", ["-L"]).code).toBe(0);
    expect(kcatAs("SCRAM-SHA-512", "alice", "alice-512", ["-L"]).code).toBe(0);
    expect(kcatAs("SCRAM-SHA-256", "alice", "wrong", ["-L"]).code).not.toBe(0);

    const gone = await eddy([...b, "users", "delete", "alice", "--mechanism", "SCRAM-SHA-512"]);
    expect(gone).toMatchObject({ code: 0, out: "Deleted the SCRAM-SHA-512 credential of 'alice'.\n" });
    expect(kcatAs("SCRAM-SHA-512", "alice", "alice-512", ["-L"]).code).not.toBe(0);
    expect(kcatAs("SCRAM-SHA-256", "alice", "alice-secret", ["-L"]).code).toBe(0);
    const all = await eddy([...b, "users", "delete", "bob", "-o", "json"]);
    expect(JSON.parse(all.out)).toEqual({
      deleted: [{ user: "bob", mechanism: "SCRAM-SHA-256", iterations: 4096 }],
    });
    const missing = await eddy([...b, "users", "describe", "bob"]);
    expect(missing).toMatchObject({
      code: 1,
      err: "eddy: user 'bob' has no SCRAM credential; 'eddy users list' shows who has\n",
    });
  }, 60_000);

  test("bad input: exit 2 with the choices, or 1 with what to do", async () => {
    const mechanism = await eddy([...b, "users", "alter", "x", "--mechanism", "MD5", "--password", "p"]);
    expect(mechanism.code).toBe(2);
    expect(mechanism.err).toStartWith("eddy: --mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512, not 'MD5'");
    const iterations = await eddy([...b, "users", "alter", "x", "--iterations", "100", "--password", "p"]);
    expect(iterations.code).toBe(2);
    expect(iterations.err).toContain("--iterations must be a number from 4096 to 16384");
    const noPassword = await eddy([...b, "users", "alter", "x"], "");
    expect(noPassword).toMatchObject({
      code: 1,
      err: "eddy: no password: give --password P or write it as one line on stdin\n",
    });
  });
});

describe("eddy acls", () => {
  test("create, list (text and JSON), enforce with kcat, filter and delete", async () => {
    await eddy([...b, "users", "alter", "carol", "--password", "carol-secret"]);
    // Without an ACL the authorizer lets carol see nothing of the topic.
    expect(
      kcatAs("SCRAM-SHA-256", "carol", "carol-secret", ["-C", "-t", "acl-t", "-o", "beginning", "-e"]).code,
    ).not.toBe(0);

    const created = await eddy([
      ...b,
      "acls",
      "create",
      "--principal",
      "User:carol",
      "--operation",
      "read",
      "--operation",
      "describe",
      "--topic",
      "acl-t",
    ]);
    expect(created.code).toBe(0);
    expect(created.out).toStartWith("Created 2 ACLs:\nPRINCIPAL");
    const group = await eddy([
      ...b,
      "acls",
      "create",
      "--principal",
      "User:carol",
      "--operation",
      "all",
      "--permission",
      "deny",
      "--resource-type",
      "group",
      "--resource-name",
      "nope-",
      "--pattern-type",
      "prefixed",
      "--host",
      "10.0.0.1",
    ]);
    expect(group.code).toBe(0);

    const listed = await eddy([...b, "acls", "list", "-o", "json"]);
    expect(JSON.parse(listed.out)).toEqual([
      {
        principal: "User:carol",
        host: "10.0.0.1",
        operation: "ALL",
        permission: "DENY",
        resourceType: "GROUP",
        resourceName: "nope-",
        patternType: "PREFIXED",
      },
      ...["DESCRIBE", "READ"].map((operation) => ({
        principal: "User:carol",
        host: "*",
        operation,
        permission: "ALLOW",
        resourceType: "TOPIC",
        resourceName: "acl-t",
        patternType: "LITERAL",
      })),
    ]);
    const text = await eddy([...b, "acls", "list", "--topic", "acl-t", "--operation", "read"]);
    expect(text.out).toBe(
      "PRINCIPAL   HOST  OPERATION  PERMISSION  RESOURCE-TYPE  RESOURCE-NAME  PATTERN-TYPE\n" +
        "User:carol  *     READ       ALLOW       TOPIC          acl-t          LITERAL\n",
    );

    const read = kcatAs("SCRAM-SHA-256", "carol", "carol-secret", [
      "-C",
      "-t",
      "acl-t",
      "-o",
      "beginning",
      "-e",
    ]);
    expect(read.code).toBe(0);
    expect(read.out).toContain("one\ntwo\n");

    // delete matches literal names by default, so the prefixed group ACL stays.
    const deleted = await eddy([...b, "acls", "delete", "--principal", "User:carol", "-o", "json"]);
    expect(JSON.parse(deleted.out).deleted.map((d: { operation: string }) => d.operation)).toEqual([
      "DESCRIBE",
      "READ",
    ]);
    const left = await eddy([...b, "acls", "list", "-o", "json"]);
    expect(JSON.parse(left.out).map((d: { resourceName: string }) => d.resourceName)).toEqual(["nope-"]);
    const none = await eddy([...b, "acls", "delete", "--topic", "acl-t"]);
    expect(none).toMatchObject({ code: 0, out: "No ACL matched; nothing deleted.\n" });
    expect(
      kcatAs("SCRAM-SHA-256", "carol", "carol-secret", ["-C", "-t", "acl-t", "-o", "beginning", "-e"]).code,
    ).not.toBe(0);
  }, 90_000);

  test("bad words exit 2 naming the choices; a principal without a type is refused", async () => {
    const op = await eddy([
      ...b,
      "acls",
      "create",
      "--principal",
      "User:x",
      "--operation",
      "fly",
      "--topic",
      "t",
    ]);
    expect(op.code).toBe(2);
    expect(op.err).toStartWith("eddy: --operation must be one of any, all, read, write,");
    const principal = await eddy([
      ...b,
      "acls",
      "create",
      "--principal",
      "carol",
      "--operation",
      "read",
      "--topic",
      "t",
    ]);
    expect(principal.code).toBe(2);
    expect(principal.err).toStartWith("eddy: --principal must be TYPE:NAME such as User:alice, not 'carol'");
    const two = await eddy([...b, "acls", "list", "--topic", "t", "--cluster"]);
    expect(two.code).toBe(2);
    const noResource = await eddy([...b, "acls", "create", "--principal", "User:x", "--operation", "read"]);
    expect(noResource.code).toBe(2);
    expect(noResource.err).toStartWith("eddy: 'acls create' needs a resource");
  });
});

describe("without an authorizer", () => {
  test("acls list exits 1 saying how to configure one", async () => {
    const plain = await startBroker();
    try {
      const refused = await eddy(["-b", plain.bootstrap, "acls", "list"]);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain("SECURITY_DISABLED");
      expect(refused.err).toContain("set authorizer.class.name=");
    } finally {
      await plain.stop();
      removeDir(plain.dataDir);
    }
  });
});
