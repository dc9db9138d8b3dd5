/**
 * The authorizer's settings as a user writes them: off without `authorizer.class.name` (so
 * `bun run broker` stays open), on with Kafka's StandardAuthorizer, `super.users` split on
 * semicolons, `allow.everyone.if.no.acl.found` defaulting to false; an unknown class or a malformed
 * super user is a configuration error naming the property.
 */
import { describe, expect, test } from "bun:test";
import { parseCli } from "./cli.ts";
import { ConfigError } from "./resolve.ts";

const standard = "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer";

function refusal(args: string[]): string {
  try {
    parseCli(args, {});
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("authorizer settings", () => {
  test("off by default", () => {
    expect(parseCli([], {}).config.authorizer).toEqual({
      enabled: false,
      superUsers: [],
      allowEveryoneIfNoAclFound: false,
    });
  });

  test("on with StandardAuthorizer, super users and the no-ACL rule", () => {
    const { config } = parseCli(
      [
        "--override",
        standard,
        "--override",
        "super.users=User:alice; User:bob",
        "--override",
        "allow.everyone.if.no.acl.found=true",
      ],
      {},
    );
    expect(config.authorizer).toEqual({
      enabled: true,
      superUsers: ["User:alice", "User:bob"],
      allowEveryoneIfNoAclFound: true,
    });
    expect(parseCli(["--override", standard], {}).config.authorizer.allowEveryoneIfNoAclFound).toBe(false);
  });

  test("an unknown class or a super user without a type is refused, naming the property", () => {
    expect(refusal(["--override", "authorizer.class.name=com.example.Open"])).toContain(
      "authorizer.class.name",
    );
    expect(refusal(["--override", standard, "--override", "super.users=alice"])).toContain("super.users");
  });
});
