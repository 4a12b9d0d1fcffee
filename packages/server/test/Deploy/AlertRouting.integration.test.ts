/**
 * Alert routing end to end, with real parts: marketgate (its only provider made to fail
 * with SIMULATED_FAILURE_RATE=1) → a real Prometheus scraping it and evaluating the
 * DataSourceBreakerOpen alert of dashboards/rules/alerts.yml → a real Alertmanager
 * (Debian's prometheus-alertmanager) with deploy/alertmanager/alertmanager.yml → a local
 * webhook receiver standing in for Slack and the incident webhook.
 *
 * Two things are changed for the test, and only these (see `compress` below): time is
 * compressed — the alert's 5m windows and `for: 5m` become 10s and 5s, Alertmanager's
 * group waits become 1s — and the receivers' addresses point at the local receiver (the
 * webhook URL in the file, the Slack URL and the secrets through the files the
 * configuration reads, moved from /etc/alertmanager/secrets/ to a temp dir). The routes, grouping, inhibitions, templates and the alert's
 * expression and labels are the committed ones.
 *
 * Then, on the same Alertmanager: a page and its matching ticket posted together — the
 * ticket is inhibited by the fast burn of the same SLO, and only the page is delivered.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Redacted, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Yaml from "yaml"
import * as Database from "../../src/Store/Database.ts"
import { type Received, requireBinary, spawnBinary, webhookReceiver } from "../support/Binaries.ts"
import { freePort, waitUntil } from "../support/RedisTest.ts"
import { spawnService } from "../support/ServiceProcess.ts"
import { scratchDatabase, tempDir } from "../support/TestDatabase.ts"

const ROOT = Path.join(import.meta.dirname, "../../../..")
const ALERT = "DataSourceBreakerOpen"
const TOKEN = "routing-test-token"
/** Where the committed configuration reads its secrets from. */
const SECRETS = "/etc/alertmanager/secrets/"

const fetchJson = (url: string, init: RequestInit = {}) =>
  Effect.tryPromise({
    try: async () => {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) })
      const text = await response.text()
      let body: any = text
      try {
        body = JSON.parse(text)
      } catch {
        // not JSON (the /-/ready answers): kept as text
      }
      return { status: response.status, body }
    },
    catch: (e) => new Error(`${init.method ?? "GET"} ${url}: ${String(e)}`)
  })

/** The committed alert, with its windows compressed: [5m] → [10s], for 5m → 5s. */
const compressedAlertRules = () => {
  const file = Yaml.parse(Fs.readFileSync(Path.join(ROOT, "dashboards/rules/alerts.yml"), "utf8")) as { groups: Array<any> }
  const rule = file.groups.flatMap((g) => g.rules).find((r: any) => r.alert === ALERT)
  assert.isDefined(rule, `${ALERT} in alerts.yml`)
  assert.include(rule.expr, "[5m]")
  assert.strictEqual(rule.for, "5m")
  return { groups: [{ name: "compressed", interval: "1s", rules: [{ ...rule, expr: rule.expr.replaceAll("[5m]", "[10s]"), for: "5s" }] }] }
}

/** deploy/alertmanager/alertmanager.yml with compressed timings and local receivers. */
const compress = (receiverUrl: string, closedPort: number, secretsDir: string) => {
  const text = Fs.readFileSync(Path.join(ROOT, "deploy/alertmanager/alertmanager.yml"), "utf8")
  assert.include(text, SECRETS)
  const config = Yaml.parse(text.replaceAll(SECRETS, `${secretsDir}/`))
  const routes = (route: any): Array<any> => [route, ...(route.routes ?? []).flatMap(routes)]
  for (const route of routes(config.route)) {
    if (route.group_wait !== undefined || route === config.route) route.group_wait = "1s"
    if (route.group_interval !== undefined || route === config.route) route.group_interval = "1s"
  }
  // Nothing listens there: e-mail fails at once, and is not what this test checks.
  config.global.smtp_smarthost = `127.0.0.1:${closedPort}`
  config.global.smtp_require_tls = false
  for (const receiver of config.receivers) {
    for (const webhook of receiver.webhook_configs ?? []) webhook.url = `${receiverUrl}/webhook/${receiver.name}`
  }
  return config
}

const alertsIn = (received: ReadonlyArray<Received>, path: string) =>
  received.filter((r) => r.path.startsWith(path)).flatMap((r) => (r.body?.alerts ?? []) as Array<any>)

describe("alert routing", () => {
  it.live("a failing provider's breaker alert goes from Prometheus through Alertmanager to the webhook and Slack", () =>
    Effect.gen(function*() {
      const prometheusBinary = yield* requireBinary(["prometheus"], "prometheus")
      const alertmanagerBinary = yield* requireBinary(["prometheus-alertmanager", "alertmanager"], "prometheus-alertmanager")
      const receiver = yield* webhookReceiver
      const ports: Array<number> = []
      const port = () =>
        freePort.pipe(
          Effect.filterOrFail((p) => !ports.includes(p), () => new Error("port taken")),
          Effect.retry({ times: 20 }),
          Effect.tap((p) => Effect.sync(() => ports.push(p)))
        )

      // ------------------------------------------------------------ marketgate
      // One instrument in the store, so the catalogue loads without the (failing) provider.
      const databaseUrl = yield* scratchDatabase("alerts")
      yield* Effect.scoped(Effect.gen(function*() {
        const context = yield* Layer.build(Database.layerFor({ _tag: "Server", url: Redacted.make(databaseUrl), maxConnections: 1 }))
        const sql = Context.get(context, SqlClient.SqlClient)
        yield* sql`INSERT INTO instruments (symbol, code, exchange, market, name, board, currency, lot_size, listed_date, source)
                   VALUES ('600519.SH', '600519', 'SH', 'CN', '贵州茅台', 'main', 'CNY', 100, '2001-08-27', 'test')`
      }))
      const appPort = yield* port()
      const app = `http://127.0.0.1:${appPort}`
      const service = yield* spawnService({
        HOST: "127.0.0.1",
        PORT: String(appPort),
        DATABASE_URL: databaseUrl,
        SOURCES: "simulated",
        SIMULATED_FAILURE_RATE: "1",
        // Three failed calls in a row open the breaker, which then stays open for the whole test.
        SOURCE_SIMULATED_BREAKER_FAILURES: "3",
        SOURCE_SIMULATED_BREAKER_OPEN: "2 minutes",
        SCHEDULER_ENABLED: "false",
        PREWARM_COUNT: "0",
        SKIP_INTEGRITY_CHECK: "1",
        LOG_LEVEL: "warn"
      })
      yield* waitUntil(
        Effect.suspend(() =>
          service.child.exitCode !== null
            ? Effect.fail(new Error(`marketgate exited (${service.child.exitCode}):\n${service.lines.join("\n")}`))
            : Effect.map(Effect.option(fetchJson(`${app}/ready`)), (a) => a._tag === "Some" && a.value.status === 200)
        ),
        { within: "60 seconds", every: "200 millis", message: () => `marketgate not ready:\n${service.lines.join("\n")}` }
      )

      // ------------------------------------------------------------ Alertmanager
      const amDir = yield* tempDir("mg-alertmanager-")
      Fs.mkdirSync(Path.join(amDir, "secrets"))
      Fs.writeFileSync(Path.join(amDir, "secrets/slack-api-url"), `${receiver.url}/slack`)
      Fs.writeFileSync(Path.join(amDir, "secrets/webhook-token"), TOKEN)
      Fs.writeFileSync(Path.join(amDir, "secrets/smtp-password"), "unused")
      const amConfig = Path.join(amDir, "alertmanager.yml")
      Fs.writeFileSync(amConfig, Yaml.stringify(compress(receiver.url, yield* port(), Path.join(amDir, "secrets"))))
      const amPort = yield* port()
      const am = `http://127.0.0.1:${amPort}`
      const alertmanager = yield* spawnBinary(alertmanagerBinary, [
        `--config.file=${amConfig}`,
        `--storage.path=${Path.join(amDir, "data")}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        `--cluster.listen-address=`,
        "--log.level=warn"
      ])
      yield* waitUntil(
        Effect.suspend(() =>
          alertmanager.running()
            ? Effect.map(Effect.option(fetchJson(`${am}/-/ready`)), (a) => a._tag === "Some" && a.value.status === 200)
            : Effect.fail(new Error(`alertmanager exited:\n${alertmanager.output()}`))
        ),
        { within: "20 seconds", every: "200 millis", message: () => `alertmanager not ready:\n${alertmanager.output()}` }
      )

      // ------------------------------------------------------------ Prometheus
      const promDir = yield* tempDir("mg-prometheus-")
      Fs.writeFileSync(Path.join(promDir, "alerts.yml"), Yaml.stringify(compressedAlertRules()))
      const promPort = yield* port()
      const prom = `http://127.0.0.1:${promPort}`
      Fs.writeFileSync(
        Path.join(promDir, "prometheus.yml"),
        Yaml.stringify({
          global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
          rule_files: [Path.join(promDir, "alerts.yml")],
          alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
          scrape_configs: [{ job_name: "marketgate", honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${appPort}`] }] }]
        })
      )
      const prometheus = yield* spawnBinary(prometheusBinary, [
        `--config.file=${Path.join(promDir, "prometheus.yml")}`,
        `--storage.tsdb.path=${Path.join(promDir, "data")}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        "--log.level=warn"
      ])
      yield* waitUntil(
        Effect.suspend(() =>
          prometheus.running()
            ? Effect.map(Effect.option(fetchJson(`${prom}/-/ready`)), (a) => a._tag === "Some" && a.value.status === 200)
            : Effect.fail(new Error(`prometheus exited:\n${prometheus.output()}`))
        ),
        { within: "20 seconds", every: "200 millis", message: () => `prometheus not ready:\n${prometheus.output()}` }
      )

      // ------------------------------------------------------------ the provider fails
      // Each cold bars request is a provider call (with its retries) that fails: the breaker opens.
      yield* Effect.forEach(
        ["2024-01-02", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-06"],
        (from) => fetchJson(`${app}/v1/bars/600519.SH?interval=1d&from=${from}&to=${from.slice(0, 8)}28`),
        { concurrency: 1, discard: true }
      )
      const metrics = yield* Effect.tryPromise(() => fetch(`${app}/metrics`).then((r) => r.text()))
      const state = metrics.split("\n").filter((l) => l.startsWith("datasource_breaker_state"))
      assert.deepStrictEqual(state, ['datasource_breaker_state{source="simulated"} 2'], "the simulated provider's breaker is open")

      // ------------------------------------------------------------ delivered
      const delivered = yield* waitUntil(
        Effect.sync(() => alertsIn(receiver.received, "/webhook/ticket").some((a) => a.labels?.alertname === ALERT)),
        {
          within: "90 seconds",
          every: "500 millis",
          message: () =>
            `no ${ALERT} reached the webhook; received: ${JSON.stringify(receiver.received.map((r) => r.path))}\n` +
            `prometheus:\n${prometheus.output()}\nalertmanager:\n${alertmanager.output()}`
        }
      ).pipe(Effect.andThen(Effect.sync(() => receiver.received.find((r) => r.path.startsWith("/webhook/ticket"))!)))
      const alert = (delivered.body.alerts as Array<any>).find((a) => a.labels.alertname === ALERT)
      assert.strictEqual(delivered.body.receiver, "ticket")
      assert.strictEqual(delivered.body.status, "firing")
      assert.strictEqual(alert.labels.severity, "ticket")
      assert.strictEqual(alert.labels.source, "simulated")
      assert.strictEqual(alert.labels.job, "marketgate")
      assert.include(alert.annotations.runbook_url, "docs/runbook.md#datasourcebreakeropen")
      // The bearer token came from secrets/webhook-token.
      assert.strictEqual(delivered.headers.authorization, `Bearer ${TOKEN}`)
      // Slack, through the URL read from secrets/slack-api-url, in the ticket channel, with the summary.
      yield* waitUntil(Effect.sync(() => receiver.received.some((r) => r.path === "/slack")), {
        within: "10 seconds",
        every: "200 millis",
        message: () => `nothing reached the Slack URL; alertmanager:\n${alertmanager.output()}`
      })
      const slack = receiver.received.find((r) => r.path === "/slack")!.body
      assert.strictEqual(slack.channel, "#marketgate-tickets")
      assert.include(JSON.stringify(slack), "The circuit breaker of data source simulated stays open")

      // ------------------------------------------------------------ inhibition
      const labels = { job: "routing-test", slo: "latency" }
      const posted = yield* fetchJson(`${am}/api/v2/alerts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([
          { labels: { ...labels, alertname: "SLOLatencyFastBurn", severity: "page" }, annotations: { summary: "fast" } },
          { labels: { ...labels, alertname: "SLOLatencySlowBurn", severity: "ticket" }, annotations: { summary: "slow" } }
        ])
      })
      assert.strictEqual(posted.status, 200)
      yield* waitUntil(
        Effect.sync(() => alertsIn(receiver.received, "/webhook/page").some((a) => a.labels?.alertname === "SLOLatencyFastBurn")),
        { within: "20 seconds", every: "200 millis", message: () => "the page did not reach the webhook" }
      )
      const slow = yield* fetchJson(`${am}/api/v2/alerts?filter=${encodeURIComponent('alertname="SLOLatencySlowBurn"')}`).pipe(
        Effect.filterOrFail((a) => a.body?.[0]?.status?.state === "suppressed", (a) => new Error(`not suppressed: ${JSON.stringify(a.body)}`)),
        Effect.retry({ schedule: Schedule.spaced("200 millis"), times: 25 })
      )
      assert.isAbove(slow.body[0].status.inhibitedBy.length, 0)
      // Its group would have been sent within 1 s: give it 3, then check it was not.
      yield* Effect.sleep("3 seconds")
      assert.isFalse(alertsIn(receiver.received, "/webhook").some((a) => a.labels?.alertname === "SLOLatencySlowBurn"))
      console.info(
        `${ALERT} delivered to the webhook and Slack; the slow burn inhibited by the fast burn (${receiver.received.length} notifications)`
      )
    }).pipe(Effect.scoped), { timeout: 240_000 })
})
