/**
 * `groups delete`: DeleteGroups to the group's coordinator, as `kafka-consumer-groups.sh --delete`.
 * Owns turning the broker's answer into a line that says what to do. Must never delete a group with
 * members: the broker refuses that (NON_EMPTY_GROUP) and this passes the refusal on rather than
 * retrying.
 */
import { ApiKey, ErrorCode } from "@eddy/protocol";
import { type Admin, ApiVersion, codeText, KafkaError } from "./admin.ts";

export async function deleteGroup(admin: Admin, groupId: string): Promise<void> {
  const { connection } = await admin.coordinator(groupId);
  const response = await connection.request(ApiKey.DeleteGroups, ApiVersion.deleteGroups, {
    groupsNames: [groupId],
  });
  const code =
    response.results.find((r) => r.groupId === groupId)?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
  if (code === ErrorCode.NONE) return;
  if (code === ErrorCode.GROUP_ID_NOT_FOUND) {
    throw new KafkaError(`group '${groupId}' does not exist; 'eddy groups list' shows the groups`);
  }
  if (code === ErrorCode.NON_EMPTY_GROUP) {
    throw new KafkaError(
      `cannot delete group '${groupId}': it has active members (NON_EMPTY_GROUP); stop its consumers first, 'eddy groups describe ${groupId}' shows them`,
    );
  }
  throw new KafkaError(`cannot delete group '${groupId}': ${codeText(code)}`);
}
