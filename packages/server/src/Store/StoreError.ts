import { Data } from "effect"

/** The store could not do what was asked; `cause` keeps the driver's error for the logs. */
export class StoreError extends Data.TaggedError("StoreError")<{
  readonly operation: string
  readonly cause: unknown
}> {
  override get message() {
    // Driver errors wrap the server's own message a few levels down: show the innermost.
    const messages: Array<string> = []
    let cause: unknown = this.cause
    for (let depth = 0; depth < 5 && cause instanceof Error; depth++) {
      messages.push(cause.message)
      cause = cause.cause
    }
    return `store ${this.operation} failed: ${messages.at(-1) ?? String(this.cause)}`
  }
}
