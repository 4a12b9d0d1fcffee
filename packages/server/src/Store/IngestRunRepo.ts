import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import type { StoreError } from "./StoreError.ts"
import { storeCall } from "./StoreMetrics.ts"

export type RunStatus = "running" | "succeeded" | "failed" | "interrupted"

export interface IngestRun {
  readonly id: number
  readonly kind: string
  readonly trigger: string
  readonly status: RunStatus
  readonly startedAt: string
  readonly finishedAt: string | null
  readonly params: Readonly<Record<string, unknown>>
  readonly counts: Readonly<Record<string, number>>
  readonly error: string | null
  readonly instance: string
}

const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

/** The `ingest_runs` table: every job run, what it was asked and what it did. */
export class IngestRunRepo extends Context.Service<IngestRunRepo, {
  readonly start: (run: {
    readonly kind: string
    readonly trigger: string
    readonly params: Readonly<Record<string, unknown>>
    readonly instance: string
  }) => Effect.Effect<number, StoreError>
  /** Progress so far, while running. */
  readonly update: (id: number, counts: Readonly<Record<string, number>>) => Effect.Effect<void, StoreError>
  readonly finish: (
    id: number,
    end: { readonly status: Exclude<RunStatus, "running">; readonly counts: Readonly<Record<string, number>>; readonly error?: string | undefined }
  ) => Effect.Effect<void, StoreError>
  /**
   * Marks runs of `kind` still recorded as running as interrupted: called by
   * the holder of the kind's lock, so no one else can be running them (their
   * process died without recording an end). Returns how many.
   */
  readonly abandon: (kind: string) => Effect.Effect<number, StoreError>
  readonly get: (id: number) => Effect.Effect<IngestRun | undefined, StoreError>
  /** Latest first. */
  readonly list: (options: { readonly kind?: string | undefined; readonly limit: number }) => Effect.Effect<ReadonlyArray<IngestRun>, StoreError>
}>()("@marketgate/server/Store/IngestRunRepo") {
  static readonly layer = Layer.effect(
    IngestRunRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const fail = storeCall
      type Row = Omit<IngestRun, "id"> & { readonly id: string }
      const select = sql`SELECT id::text AS id, kind, trigger, status, ${sql.literal(iso("started_at"))} AS "startedAt",
          ${sql.literal(iso("finished_at"))} AS "finishedAt", params, counts, error, instance FROM ingest_runs`
      const decode = (rows: ReadonlyArray<Row>): Array<IngestRun> => rows.map((r) => ({ ...r, id: Number(r.id) }))

      return IngestRunRepo.of({
        start: (run) =>
          sql<{ id: string }>`
            INSERT INTO ingest_runs (kind, trigger, status, started_at, params, instance)
            VALUES (${run.kind}, ${run.trigger}, 'running', now(), ${JSON.stringify(run.params)}::jsonb, ${run.instance})
            RETURNING id::text AS id`.pipe(Effect.map((rows) => Number(rows[0]!.id)), fail("ingest_runs.start")),
        update: (id, counts) =>
          sql`UPDATE ingest_runs SET counts = ${JSON.stringify(counts)}::jsonb WHERE id = ${id}`.pipe(
            Effect.asVoid,
            fail("ingest_runs.update")
          ),
        finish: (id, end) =>
          sql`UPDATE ingest_runs SET status = ${end.status}, finished_at = now(),
                counts = ${JSON.stringify(end.counts)}::jsonb, error = ${end.error ?? null}
              WHERE id = ${id}`.pipe(Effect.asVoid, fail("ingest_runs.finish")),
        abandon: (kind) =>
          sql<{ id: string }>`UPDATE ingest_runs SET status = 'interrupted', finished_at = now(),
                error = 'the instance running it stopped without recording an end (killed or crashed)'
              WHERE kind = ${kind} AND status = 'running' RETURNING id::text AS id`.pipe(
            Effect.map((rows) => rows.length),
            fail("ingest_runs.abandon")
          ),
        get: (id) =>
          sql<Row>`${select} WHERE id = ${id}`.pipe(Effect.map((rows) => decode(rows)[0]), fail("ingest_runs.get")),
        list: ({ kind, limit }) =>
          (kind === undefined
            ? sql<Row>`${select} ORDER BY started_at DESC, id DESC LIMIT ${limit}`
            : sql<Row>`${select} WHERE kind = ${kind} ORDER BY started_at DESC, id DESC LIMIT ${limit}`).pipe(
              Effect.map(decode),
              fail("ingest_runs.list")
            )
      })
    })
  )
}
