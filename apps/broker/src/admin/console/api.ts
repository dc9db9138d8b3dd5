/**
 * The console's calls to the JSON admin API (`/api/v1/`, `../api-router.ts`), typed as the API
 * answers them. Owns the requests only; an answer that is not 2xx becomes an `ApiError` carrying the
 * API's own message, which the page shows as it is.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`/api/v1/${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok) throw new ApiError(response.status, json.error ?? `HTTP ${response.status}`);
  return json as T;
}

export interface Brokers {
  clusterId: string;
  controllerId: number;
  nodeId: number;
  topicCount: number;
  partitionCount: number;
  brokers: {
    nodeId: number;
    host: string;
    port: number;
    rack: string | null;
    fenced: boolean;
    controller: boolean;
  }[];
}
export interface Config {
  name: string;
  value: string | null;
  source: string;
  readOnly: boolean;
}
export interface TopicSummary {
  name: string;
  topicId: string;
  partitionCount: number;
  replicationFactor: number;
  underReplicatedCount: number;
  sizeBytes: number;
  messageCount: number;
}
export interface Partition {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  logStartOffset: number | null;
  highWatermark: number | null;
  logEndOffset: number | null;
  sizeBytes: number | null;
  segmentCount: number | null;
  offline: boolean;
}
export interface TopicDetail extends TopicSummary {
  partitions: Partition[];
  configs: Config[];
}
export interface Bytes {
  base64: string;
  text: string | null;
  sizeBytes: number;
}
export interface Message {
  offset: number;
  timestampMs: number;
  key: Bytes | null;
  value: Bytes | null;
  headers: { key: string; value: Bytes | null }[];
}
export interface MessagePage {
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  from: number;
  nextOffset: number;
  messages: Message[];
}
export interface GroupSummary {
  groupId: string;
  state: string;
  protocolType: string;
  memberCount: number;
  totalLag: number | null;
}
export interface GroupDetail {
  groupId: string;
  state: string;
  protocolType: string;
  generationId: number;
  protocol: string;
  members: {
    memberId: string;
    clientId: string;
    clientHost: string;
    assignment: { topic: string; partitions: number[] }[];
  }[];
  offsets: {
    topic: string;
    partition: number;
    committedOffset: number | null;
    highWatermark: number | null;
    lag: number | null;
    memberId: string | null;
  }[];
  totalLag: number;
}
export interface ResetPlan {
  executed: boolean;
  offsets: { topic: string; partition: number; currentOffset: number | null; newOffset: number }[];
}

export const api = {
  brokers: () => call<Brokers>("GET", "brokers"),
  brokerConfigs: () => call<{ configs: Config[] }>("GET", "brokers/configs"),
  topics: () => call<{ topics: TopicSummary[] }>("GET", "topics"),
  topic: (name: string) => call<TopicDetail>("GET", `topics/${encodeURIComponent(name)}`),
  createTopic: (body: {
    name: string;
    partitions: number;
    replicationFactor: number;
    configs: Record<string, string>;
  }) => call<unknown>("POST", "topics", body),
  deleteTopic: (name: string) => call<unknown>("DELETE", `topics/${encodeURIComponent(name)}`),
  messages: (name: string, query: URLSearchParams) =>
    call<MessagePage>("GET", `topics/${encodeURIComponent(name)}/messages?${query}`),
  groups: () => call<{ groups: GroupSummary[] }>("GET", "groups"),
  group: (name: string) => call<GroupDetail>("GET", `groups/${encodeURIComponent(name)}`),
  resetOffsets: (name: string, body: Record<string, unknown>) =>
    call<ResetPlan>("POST", `groups/${encodeURIComponent(name)}/reset-offsets`, body),
};
