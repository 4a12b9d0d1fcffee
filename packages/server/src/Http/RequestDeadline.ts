import { Config, Duration, Effect } from "effect"
import { HttpServerResponse } from "effect/http"

/**
 * The longest a request may take before it is answered anyway: every request
 * gets an answer within `REQUEST_DEADLINE` (default 10 s), never a hang. It is
 * above the provider budget (`SOURCES_BUDGET`, 4 s) and the store's pool
 * wait, so those say what failed first; the deadline catches what is left
 * (a store that accepts connections and never answers, a stuck dependency).
 */
export const requestDeadlineConfig = Config.Duration("REQUEST_DEADLINE").pipe(Config.withDefault(Duration.seconds(10)))

/** Seconds a client is asked to wait before retrying a request that ran out of time. */
export const DEADLINE_RETRY_AFTER_SECONDS = 5

/**
 * The answer to a request that ran past its deadline: 503 (the service, not the
 * caller, is at fault and it is temporary), `Retry-After`, and what to do. The
 * envelope middleware turns the `message` into the `/v1` envelope's `msg`.
 */
export const deadlineResponse = (deadline: Duration.Duration) =>
  HttpServerResponse.jsonUnsafe(
    {
      message: `no answer within the ${Duration.format(deadline)} request deadline: a dependency (the store or a provider) is slow or down; ` +
        `retry in ${DEADLINE_RETRY_AFTER_SECONDS} seconds, or ask for less (a shorter range, fewer symbols)`
    },
    { status: 503, headers: { "retry-after": String(DEADLINE_RETRY_AFTER_SECONDS) } }
  )

/**
 * Runs a request's handler under the deadline; past it, the handler is
 * interrupted (its SQL and provider calls are cancelled, a transaction rolls
 * back, so nothing half-written is kept) and the 503 above is the answer.
 */
export const withDeadline = (deadline: Duration.Duration) =>
<A extends HttpServerResponse.HttpServerResponse, E, R>(app: Effect.Effect<A, E, R>) =>
  Effect.timeoutOrElse(app, { duration: deadline, orElse: () => Effect.succeed(deadlineResponse(deadline)) })
