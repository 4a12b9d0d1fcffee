import { Schema } from "effect"

/** Authenticated, but the role does not allow this endpoint. */
export class Forbidden extends Schema.TaggedError<Forbidden>()(
  "Forbidden",
  { message: Schema.String },
  { httpApiStatus: 403 }
) {}

/** Over a rate limit: `Retry-After` says when to try again (and so does the message). */
export class TooManyRequests extends Schema.TaggedError<TooManyRequests>()(
  "TooManyRequests",
  { message: Schema.String, retry_after_seconds: Schema.Int },
  { httpApiStatus: 429 }
) {}

/** No such user or client. */
export class NotFound extends Schema.TaggedError<NotFound>()(
  "NotFound",
  { message: Schema.String },
  { httpApiStatus: 404 }
) {}
