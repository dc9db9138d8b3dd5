/**
 * SASL authentication of a freshly opened connection, as Kafka's clients do it: SaslHandshake v1
 * naming the mechanism, then SaslAuthenticate v2 carrying the tokens of `sasl-client.ts` until the
 * exchange is done. Owns the round trips and the errors a user sees. Must never let a connection be
 * used after a refusal or an unverified server (the caller closes it), and never name the password.
 */
import { ApiKey, ErrorCode, errorCodeName } from "@eddy/protocol";
import type { ClientSasl } from "./client-security.ts";
import type { KafkaConnection } from "./connection.ts";
import { AuthenticationError } from "./kafka-error.ts";
import { SaslClientError, saslClientExchange } from "./sasl-client.ts";

const saslHandshakeVersion = 1;
const saslAuthenticateVersion = 2;
/** SaslAuthenticate round trips a mechanism may take: SCRAM takes two, PLAIN one. */
const saslRoundTripsMax = 4;

export async function authenticate(connection: KafkaConnection, sasl: ClientSasl): Promise<void> {
  const failed = (why: string): AuthenticationError =>
    new AuthenticationError(
      `authentication failed for user ${sasl.username} with ${sasl.mechanism}: check sasl.jaas.config (${why})`,
    );
  const handshake = await connection.request(ApiKey.SaslHandshake, saslHandshakeVersion, {
    mechanism: sasl.mechanism,
  });
  if (handshake.errorCode === ErrorCode.UNSUPPORTED_SASL_MECHANISM) {
    throw new AuthenticationError(
      `the broker at ${connection.address} does not enable ${sasl.mechanism} (it enables ${handshake.mechanisms.join(", ") || "none"}): set sasl.mechanism to one of those`,
    );
  }
  if (handshake.errorCode !== ErrorCode.NONE) {
    throw new AuthenticationError(
      `the broker at ${connection.address} refused the SASL handshake (${errorCodeName(handshake.errorCode)}): is security.protocol right for this listener?`,
    );
  }
  let exchange: ReturnType<typeof saslClientExchange>;
  try {
    exchange = saslClientExchange(sasl.mechanism, sasl.username, sasl.password);
  } catch (error) {
    throw failed((error as Error).message);
  }
  let token = exchange.first();
  for (let roundTrip = 1; roundTrip <= saslRoundTripsMax; roundTrip++) {
    const answer = await connection.request(ApiKey.SaslAuthenticate, saslAuthenticateVersion, {
      authBytes: token,
    });
    if (answer.errorCode !== ErrorCode.NONE) {
      throw failed(answer.errorMessage ?? errorCodeName(answer.errorCode));
    }
    let step: ReturnType<typeof exchange.next>;
    try {
      step = exchange.next(answer.authBytes);
    } catch (error) {
      if (!(error instanceof SaslClientError)) throw error;
      throw failed(error.message);
    }
    if (step.kind === "done") return;
    token = step.token;
  }
  throw failed(`the exchange took more than ${saslRoundTripsMax} round trips`);
}
