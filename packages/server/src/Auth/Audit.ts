import { Clock, Context, Effect, Layer, Queue } from "effect"
import * as Prom from "prom-client"
import { MetricsRegistry } from "../Observability/MetricsRegistry.ts"
import { type AuditFilter, AuditRepo, type AuditRow, type StoredAuditRow } from "./AuditRepo.ts"
import type { StoreError } from "../Store/StoreError.ts"

/** Where a request came from, for the audit log: who and what are the event's. */
export interface RequestOrigin {
  readonly ipAddress: string | null
  readonly userAgent: string | null
  readonly requestId: string | null
  readonly traceId: string | null
}

export const noOrigin: RequestOrigin = { ipAddress: null, userAgent: null, requestId: null, traceId: null }

export interface AuditEvent {
  readonly action: string
  readonly outcome: "success" | "failure"
  readonly actor: string
  readonly userId?: string | null | undefined
  readonly clientId?: string | null | undefined
  readonly target?: string | null | undefined
  readonly details?: Readonly<Record<string, unknown>> | undefined
}

const CAPACITY = 50_000
const BATCH = 500

/**
 * The audit log. `record` returns at once: rows queue and one writer inserts
 * whatever has queued up in one statement, so token issuance at thousands a
 * second costs the database a statement per batch. What is queued at
 * shutdown is written before the store closes; a crash loses at most the
 * rows of the last few milliseconds (and `audit_dropped_total` counts rows
 * dropped while the store was down and the queue full).
 */
export class Audit extends Context.Service<Audit, {
  readonly record: (event: AuditEvent, origin: RequestOrigin) => Effect.Effect<void>
  readonly list: (filter: AuditFilter) => Effect.Effect<ReadonlyArray<StoredAuditRow>, StoreError>
  /** Waits until everything recorded so far is written (tests, the CLI before it exits). */
  readonly flush: Effect.Effect<void>
}>()("@marketgate/server/Auth/Audit") {
  static readonly layer = Layer.effect(
    Audit,
    Effect.gen(function*() {
      const repo = yield* AuditRepo
      const { registry } = yield* MetricsRegistry
      const dropped = new Prom.Counter({ name: "audit_dropped_total", help: "Audit rows that could not be written (store down, queue full)", registers: [registry] })
      const queue = yield* Queue.dropping<AuditRow>(CAPACITY)
      let pending = 0
      const write = (rows: ReadonlyArray<AuditRow>) =>
        repo.insertMany(rows).pipe(
          Effect.retry({ times: 2 }),
          Effect.catch((error) =>
            Effect.logWarning("audit rows could not be written").pipe(
              Effect.annotateLogs({ rows: rows.length, error: error.message }),
              Effect.andThen(Effect.sync(() => dropped.inc(rows.length)))
            )
          ),
          Effect.ensuring(Effect.sync(() => void (pending -= rows.length)))
        )
      yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.takeBetween(queue, 1, BATCH), write)))
      yield* Effect.addFinalizer(() => Effect.flatMap(Queue.clear(queue), (rest) => (rest.length === 0 ? Effect.void : write(rest))))
      const record = (event: AuditEvent, origin: RequestOrigin) =>
        Effect.clockWith((clock) =>
          Effect.sync(() => {
            const row: AuditRow = {
              createdAt: clock.currentTimeMillisUnsafe(),
              userId: event.userId ?? null,
              clientId: event.clientId ?? null,
              actor: event.actor,
              action: event.action,
              outcome: event.outcome,
              target: event.target ?? null,
              ipAddress: origin.ipAddress,
              userAgent: origin.userAgent === null ? null : origin.userAgent.slice(0, 512),
              requestId: origin.requestId,
              traceId: origin.traceId,
              details: event.details ?? {}
            }
            if (Queue.offerUnsafe(queue, row)) pending++
            else dropped.inc()
          })
        )
      const flush = Effect.suspend(() => (pending === 0 ? Effect.succeed(true) : Effect.sleep("10 millis").pipe(Effect.as(false)))).pipe(
        Effect.repeat({ until: (done) => done, times: 1000 }),
        Effect.asVoid
      )
      void Clock
      return Audit.of({ record, list: repo.list, flush })
    })
  )
}
