/**
 * ACLs through the admin interfaces of unmodified clients, against `bun run broker` with Kafka's
 * StandardAuthorizer over SASL_PLAINTEXT with PLAIN users. Goal: kafkajs 2.2.4 (createAcls,
 * describeAcls, deleteAcls) and kafka-python 2.0.2 (KafkaAdminClient.create_acls, describe_acls,
 * delete_acls) manage ACLs as they would on Kafka, the ACLs they create take effect on the next
 * request, and a principal without ALTER on the cluster cannot change them. Method: the super user
 * `admin` creates, lists and deletes ACLs with each client; `alice` produces with kafkajs before and
 * after an ACL grants her WRITE, and her own CreateAcls is refused with CLUSTER_AUTHORIZATION_FAILED.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "bun";
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
} from "kafkajs";
import { type AclUser, aclBrokerArgs, aclUsers } from "./acl-fixture.ts";
import { type RunningBroker, removeDir, startBroker } from "./harness.ts";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ args: aclBrokerArgs });
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

function kafkaAs(user: AclUser): Kafka {
  return new Kafka({
    clientId: `acl-${user}`,
    brokers: [broker.bootstrap],
    sasl: { mechanism: "plain", username: user, password: aclUsers[user] },
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 100 },
  });
}

const everything = {
  resourceType: AclResourceTypes.ANY,
  resourcePatternType: ResourcePatternTypes.ANY,
  operation: AclOperationTypes.ANY,
  permissionType: AclPermissionTypes.ANY,
};

describe("kafkajs admin", () => {
  test("createAcls, describeAcls, deleteAcls, and the ACL takes effect", async () => {
    const admin = kafkaAs("admin").admin();
    await admin.connect();
    const aliceAdmin = kafkaAs("alice").admin();
    await aliceAdmin.connect();
    const producer = kafkaAs("alice").producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await admin.createTopics({ topics: [{ topic: "kjs-orders", numPartitions: 1 }] });
      // No ACL names alice yet: her produce is refused.
      await expect(producer.send({ topic: "kjs-orders", messages: [{ value: "early" }] })).rejects.toThrow(
        /authoriz/i,
      );
      const grant = {
        resourceType: AclResourceTypes.TOPIC,
        resourceName: "kjs-",
        resourcePatternType: ResourcePatternTypes.PREFIXED,
        principal: "User:alice",
        host: "*",
        operation: AclOperationTypes.WRITE,
        permissionType: AclPermissionTypes.ALLOW,
      };
      expect(await admin.createAcls({ acl: [grant] })).toBe(true);
      const described = await admin.describeAcls({ ...everything, principal: "User:alice" });
      expect(described.resources).toEqual([
        {
          resourceType: AclResourceTypes.TOPIC,
          resourceName: "kjs-",
          resourcePatternType: ResourcePatternTypes.PREFIXED,
          acls: [
            {
              principal: "User:alice",
              host: "*",
              operation: AclOperationTypes.WRITE,
              permissionType: AclPermissionTypes.ALLOW,
            },
          ],
        },
      ]);
      const sent = await producer.send({ topic: "kjs-orders", messages: [{ value: "granted" }] });
      expect(sent[0]!.errorCode).toBe(0);
      // Alice may write, but she may not change ACLs: that needs ALTER on the cluster.
      await expect(aliceAdmin.createAcls({ acl: [{ ...grant, principal: "User:mallory" }] })).rejects.toThrow(
        /authoriz/i,
      );
      const deleted = await admin.deleteAcls({ filters: [{ ...everything, principal: "User:alice" }] });
      expect(deleted.filterResponses).toHaveLength(1);
      expect(deleted.filterResponses[0]!.errorCode).toBe(0);
      expect(deleted.filterResponses[0]!.matchingAcls.map((a) => [a.resourceName, a.operation])).toEqual([
        ["kjs-", AclOperationTypes.WRITE],
      ]);
      expect((await admin.describeAcls(everything)).resources).toEqual([]);
      await expect(producer.send({ topic: "kjs-orders", messages: [{ value: "late" }] })).rejects.toThrow(
        /authoriz/i,
      );
      // Exactly the one granted record was written.
      const offsets = await admin.fetchTopicOffsets("kjs-orders");
      expect(offsets.map((o) => o.high)).toEqual(["1"]);
    } finally {
      await producer.disconnect();
      await aliceAdmin.disconnect();
      await admin.disconnect();
    }
  }, 60_000);
});

const python = `
import sys
from kafka.admin import (KafkaAdminClient, ACL, ACLFilter, ResourcePattern, ResourcePatternFilter,
    ACLOperation, ACLPermissionType, ResourceType, ACLResourcePatternType)
bootstrap, user, password = sys.argv[1:4]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, security_protocol="SASL_PLAINTEXT",
    sasl_mechanism="PLAIN", sasl_plain_username=user, sasl_plain_password=password,
    request_timeout_ms=10000)
acl = ACL(principal="User:bob", host="*", operation=ACLOperation.READ,
    permission_type=ACLPermissionType.ALLOW,
    resource_pattern=ResourcePattern(ResourceType.GROUP, "py-group", ACLResourcePatternType.LITERAL))
deny = ACL(principal="User:bob", host="10.0.0.9", operation=ACLOperation.ALL,
    permission_type=ACLPermissionType.DENY,
    resource_pattern=ResourcePattern(ResourceType.TOPIC, "py-", ACLResourcePatternType.PREFIXED))
created = admin.create_acls([acl, deny])
print("created", len(created["succeeded"]), len(created["failed"]))
for failure in created["failed"]:
    print("failure", failure[1].__name__)
everything = ACLFilter(principal="User:bob", host=None, operation=ACLOperation.ANY,
    permission_type=ACLPermissionType.ANY,
    resource_pattern=ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY))
acls, error = admin.describe_acls(everything)
print("describe", error.__name__)
for a in sorted(acls, key=lambda a: a.resource_pattern.resource_name):
    print("acl", a.resource_pattern.resource_type.name, a.resource_pattern.resource_name,
        a.resource_pattern.pattern_type.name, a.host, a.operation.name, a.permission_type.name)
groups_only = ACLFilter(principal=None, host=None, operation=ACLOperation.ANY,
    permission_type=ACLPermissionType.ANY,
    resource_pattern=ResourcePatternFilter(ResourceType.GROUP, None, ACLResourcePatternType.ANY))
for f, matches, err in admin.delete_acls([groups_only]):
    print("deleted", err.__name__, [m[0].resource_pattern.resource_name for m in matches])
acls, error = admin.describe_acls(everything)
print("left", [a.resource_pattern.resource_name for a in acls])
`;

function runPython(user: AclUser): { code: number; out: string; err: string } {
  const r = spawnSync(["/usr/bin/python3", "-c", python, broker.bootstrap, user, aclUsers[user]], {
    timeout: 60_000,
  });
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

describe("kafka-python admin", () => {
  test("create_acls, describe_acls, delete_acls as the super user", () => {
    const r = runPython("admin");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out.trim().split("\n")).toEqual([
      "created 2 0",
      "describe NoError",
      "acl TOPIC py- PREFIXED 10.0.0.9 ALL DENY",
      "acl GROUP py-group LITERAL * READ ALLOW",
      "deleted NoError ['py-group']",
      "left ['py-']",
    ]);
  }, 60_000);

  test("a principal without ALTER on the cluster: every creation refused, nothing created", async () => {
    const r = runPython("alice");
    // kafka-python raises the DescribeAcls refusal after printing the creations' failures.
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("ClusterAuthorizationFailedError: [Error 31]");
    expect(r.out.trim().split("\n")).toEqual([
      "created 0 2",
      "failure ClusterAuthorizationFailedError",
      "failure ClusterAuthorizationFailedError",
    ]);
    const admin = kafkaAs("admin").admin();
    await admin.connect();
    try {
      // Only what the super user's run left: alice's READ on py-group was never created.
      const left = await admin.describeAcls({ ...everything, principal: "User:bob" });
      expect(left.resources.map((r) => r.resourceName)).toEqual(["py-"]);
    } finally {
      await admin.disconnect();
    }
  }, 60_000);
});
