import type { ApiClient, AuditEntry, User } from "@marketgate/domain/Accounts"
import { MarketgateApi } from "@marketgate/domain/Api"
import { Conflict, DataUnavailable, InvalidRequest } from "@marketgate/domain/ApiErrors"
import { NotFound } from "@marketgate/domain/AuthErrors"
import { Effect, Redacted } from "effect"
import * as Net from "node:net"
import { HttpApiBuilder } from "effect/http-api"
import type { StoreError } from "../Store/StoreError.ts"
import { Accounts } from "./Accounts.ts"
import { Audit } from "./Audit.ts"
import type { StoredAuditRow } from "./AuditRepo.ts"
import type { ClientRecord } from "./ClientRepo.ts"
import { Clients } from "./Clients.ts"
import type { UserRecord } from "./UserRepo.ts"

const unavailable = (_: StoreError) => new DataUnavailable({ message: "accounts are unavailable right now (the store cannot be reached); try again shortly" })

export const userAnswer = (u: UserRecord): User => ({
  id: u.id,
  username: u.username,
  email: u.email,
  role: u.role,
  disabled: u.disabled,
  mfa_enabled: u.totpSecret !== null,
  created_at: u.createdAt,
  last_login_at: u.lastLoginAt
})

export const clientAnswer = (c: ClientRecord): ApiClient => ({
  client_id: c.clientId,
  name: c.name,
  role: c.role,
  rate_limit: c.rateLimit,
  created_at: c.createdAt,
  rotated_at: c.rotatedAt,
  revoked_at: c.revokedAt
})

const auditAnswer = (r: StoredAuditRow): AuditEntry => ({
  id: r.id,
  created_at: r.createdAt,
  action: r.action,
  outcome: r.outcome,
  user_id: r.userId,
  client_id: r.clientId,
  actor: r.actor,
  target: r.target,
  ip_address: r.ipAddress,
  user_agent: r.userAgent,
  request_id: r.requestId,
  trace_id: r.traceId,
  details: r.details
})

/** Keyset cursors: `createdAt|id`, base64url, opaque to callers. */
export const encodeCursor = (createdAt: string, id: string) => Buffer.from(`${createdAt}|${id}`).toString("base64url")
export const decodeCursor = (cursor: string | undefined) =>
  Effect.suspend(() => {
    if (cursor === undefined) return Effect.succeed(undefined)
    const [createdAt, id, ...rest] = Buffer.from(cursor, "base64url").toString("utf8").split("|")
    return createdAt !== undefined && id !== undefined && rest.length === 0 && /^\d{1,18}$/.test(id) && !Number.isNaN(Date.parse(createdAt))
      ? Effect.succeed({ createdAt, id })
      : Effect.fail(new InvalidRequest({ message: "cursor must be the next_cursor of an earlier page" }))
  })

const page = <A extends { readonly createdAt: string; readonly id: string }>(rows: ReadonlyArray<A>, limit: number) => ({
  rows: rows.slice(0, limit),
  next: rows.length > limit ? encodeCursor(rows[limit - 1]!.createdAt, rows[limit - 1]!.id) : null
})

/**
 * Admin endpoints for accounts: users, API clients, the audit log. Changes
 * are recorded in the audit log by the Authentication middleware (every
 * state-changing admin request is).
 */
export const AccountsHttp = HttpApiBuilder.group(
  MarketgateApi,
  "accounts",
  Effect.fn(function*(handlers) {
    const accounts = yield* Accounts
    const clients = yield* Clients
    const audit = yield* Audit
    const noUser = (id: string) => new NotFound({ message: `no user ${id}; list users with GET /v1/admin/users` })
    const noClient = (id: string) => new NotFound({ message: `no live client ${id}; list clients with GET /v1/admin/clients` })
    return handlers
      .handle("listUsers", ({ query }) =>
        Effect.gen(function*() {
          const limit = query.limit ?? 50
          const after = yield* decodeCursor(query.cursor)
          const rows = yield* accounts.list({ after, limit: limit + 1 }).pipe(Effect.mapError(unavailable))
          const { next, rows: shown } = page(rows, limit)
          return { users: shown.map(userAnswer), next_cursor: next }
        }))
      .handle("addUser", ({ payload }) =>
        Effect.gen(function*() {
          const added = yield* accounts.add({
            username: payload.username,
            role: payload.role,
            email: payload.email,
            password: payload.password === undefined ? undefined : Redacted.make(payload.password)
          }).pipe(Effect.mapError(unavailable))
          if (added._tag === "Taken") return yield* new Conflict({ message: `the username ${payload.username} or that email is taken` })
          return { user: userAnswer(added.user), ...(added.generatedPassword === undefined ? {} : { password: added.generatedPassword }) }
        }))
      .handle("disableUser", ({ params }) =>
        Effect.flatMap(accounts.setDisabled(params.id, true).pipe(Effect.mapError(unavailable)), (u) =>
          u === undefined ? Effect.fail(noUser(params.id)) : Effect.succeed(userAnswer(u))))
      .handle("resetMfa", ({ params }) =>
        Effect.flatMap(accounts.resetMfa(params.id).pipe(Effect.mapError(unavailable)), (u) =>
          u === undefined ? Effect.fail(noUser(params.id)) : Effect.succeed(userAnswer(u))))
      .handle("listClients", () => Effect.map(clients.list.pipe(Effect.mapError(unavailable)), (list) => ({ clients: list.map(clientAnswer) })))
      .handle("addClient", ({ payload }) =>
        Effect.gen(function*() {
          const { client, secret } = yield* clients.add({ name: payload.name, role: payload.role, rateLimit: payload.rate_limit ?? null }, "api").pipe(
            Effect.mapError(unavailable)
          )
          return { client: clientAnswer(client), client_secret: secret }
        }))
      .handle("rotateClient", ({ params }) =>
        Effect.flatMap(clients.rotate(params.client_id).pipe(Effect.mapError(unavailable)), (r) =>
          r === undefined ? Effect.fail(noClient(params.client_id)) : Effect.succeed({ client: clientAnswer(r.client), client_secret: r.secret })))
      .handle("revokeClient", ({ params }) =>
        Effect.flatMap(clients.revoke(params.client_id).pipe(Effect.mapError(unavailable)), (r) =>
          r === undefined ? Effect.fail(noClient(params.client_id)) : Effect.succeed(clientAnswer(r.client))))
      .handle("audit", ({ query }) =>
        Effect.gen(function*() {
          const limit = query.limit ?? 50
          const before = yield* decodeCursor(query.cursor)
          if (query.ip !== undefined && Net.isIP(query.ip) === 0) return yield* new InvalidRequest({ message: `ip must be an IPv4 or IPv6 address, got ${query.ip}` })
          if (query.from !== undefined && query.to !== undefined && Date.parse(query.from) > Date.parse(query.to)) {
            return yield* new InvalidRequest({ message: "from must not be after to" })
          }
          const rows = yield* audit.list({
            userId: query.user_id,
            clientId: query.client_id,
            action: query.action,
            outcome: query.outcome,
            ip: query.ip,
            from: query.from,
            to: query.to,
            before,
            limit: limit + 1
          }).pipe(Effect.mapError(unavailable))
          const { next, rows: shown } = page(rows, limit)
          return { entries: shown.map(auditAnswer), next_cursor: next }
        }))
  })
)
