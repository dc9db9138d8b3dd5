/**
 * SaslHandshake (key 17): v0-1. On a SASL listener the SASL gate (`security/sasl-gate.ts`) answers
 * it before authentication; a request that reaches this handler came on a PLAINTEXT listener or after
 * the connection authenticated, and gets ILLEGAL_SASL_STATE, as Kafka's `KafkaApis` answers.
 */
import { ErrorCode } from "@eddy/protocol";
import { defineApi } from "./api.ts";

export const saslHandshakeApi = defineApi({
  key: 17,
  name: "SaslHandshake",
  versionMin: 0,
  versionMax: 1,
  handle: () => ({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] }),
});
