/**
 * @eddy/client: the Kafka client pieces the repository's own tools share (apps/cli and apps/perf):
 * one pipelined connection over the wire codec (plaintext, TLS, SASL), one consumer-group member, and
 * the reading of Kafka's client security properties. It speaks only `@eddy/protocol` and knows nothing
 * of the broker's insides; it must never print or exit: the tools decide what a user sees.
 */
export {
  ClientConfigError,
  type ClientSasl,
  type ClientSecurity,
  type ClientTls,
  clientSecurityFromProperties,
  parseJaasConfig,
  plaintextSecurity,
  type SecurityProtocol,
  securityPropertyKeys,
} from "./client-security.ts";
export { ConnectionError, KafkaConnection, pendingRequestsMax } from "./connection.ts";
export { GroupApiVersion, GroupMember, type GroupMemberOptions } from "./group-member.ts";
export { AuthenticationError, KafkaError } from "./kafka-error.ts";
export {
  SaslClientError,
  type SaslClientExchange,
  type SaslClientStep,
  type SaslMechanism,
  saslClientExchange,
  saslMechanisms,
} from "./sasl-client.ts";
export {
  type ScramKeys,
  type ScramMechanism,
  scramHash,
  scramHashBytes,
  scramHashName,
  scramHmac,
  scramKeys,
  scramSaltedPassword,
  scramXor,
} from "./scram-keys.ts";
