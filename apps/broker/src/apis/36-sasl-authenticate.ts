/**
 * SaslAuthenticate (key 36): v0-2. On a SASL listener the SASL gate (`security/sasl-gate.ts`) answers
 * it during authentication; a request that reaches this handler came on a PLAINTEXT listener or after
 * the connection authenticated (Eddy has no re-authentication), and gets ILLEGAL_SASL_STATE, as
 * Kafka's `KafkaApis` answers.
 */
import { ErrorCode } from "@eddy/protocol";
import { defineApi } from "./api.ts";

export const saslAuthenticateApi = defineApi({
  key: 36,
  name: "SaslAuthenticate",
  versionMin: 0,
  versionMax: 2,
  handle: () => ({
    errorCode: ErrorCode.ILLEGAL_SASL_STATE,
    errorMessage: "SaslAuthenticate request received after successful authentication",
    authBytes: new Uint8Array(0),
    sessionLifetimeMs: 0n,
  }),
});
