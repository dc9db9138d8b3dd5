/**
 * Limits of the assignors and the ConsumerProtocol codec, so every loop over client-supplied data is bounded.
 */

/** Members one assignment may cover. */
export const assignorMembersMax = 100_000;
/** Topics one subscription or assignment may name. */
export const topicsPerMemberMax = 100_000;
/** Partitions of one topic. */
export const partitionsPerTopicMax = 1_000_000;
/** Bytes of user data in a subscription or assignment. */
export const userDataBytesMax = 1024 * 1024;
