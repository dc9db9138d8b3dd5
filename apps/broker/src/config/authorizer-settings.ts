/**
 * The authorizer's settings from Kafka's properties: `authorizer.class.name` (the authorizer is on
 * only when it names Kafka's ACL authorizer; unset keeps every request allowed, as before ACLs),
 * `super.users` (`User:alice;User:bob`) and `allow.everyone.if.no.acl.found` (default false).
 * Owns reading and checking those three keys; it must never decide an authorization
 * (`security/authorizer.ts` does).
 */
import { type AuthorizerSettings, authorizerClassNames, authorizerOff } from "../security/authorizer.ts";
import { ConfigError, configBool, configText, type ResolvedConfig } from "./resolve.ts";

/** The most principals `super.users` may name; a longer list is refused rather than scanned per request. */
const superUsersMax = 1_000;

export function toAuthorizerSettings(config: ResolvedConfig): AuthorizerSettings {
  const className = configText(config, "authorizer.class.name")?.trim() ?? "";
  const superUsersText = configText(config, "super.users") ?? "";
  const allowEveryoneIfNoAclFound = configBool(config, "allow.everyone.if.no.acl.found");
  if (className === "") return { ...authorizerOff, allowEveryoneIfNoAclFound };
  if (!(authorizerClassNames as readonly string[]).includes(className)) {
    throw new ConfigError(
      `authorizer.class.name=${className} is not served: set ${authorizerClassNames[0]} (or leave it unset for no authorization)`,
    );
  }
  const superUsers = superUsersText
    .split(";")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const principal of superUsers) {
    const colon = principal.indexOf(":");
    if (colon <= 0 || colon === principal.length - 1)
      throw new ConfigError(
        `super.users: ${JSON.stringify(principal)} is not a principal of the form User:name`,
      );
  }
  if (superUsers.length > superUsersMax)
    throw new ConfigError(`super.users names ${superUsers.length} principals, more than ${superUsersMax}`);
  return { enabled: true, superUsers, allowEveryoneIfNoAclFound };
}
