/**
 * deploy/alertmanager/alertmanager.yml with the real amtool (Debian package
 * prometheus-alertmanager; .ci/run installs it, without it these tests fail):
 * `amtool check-config`, and `amtool config routes test` for every alert of
 * dashboards/rules/alerts.yml, which must reach the receiver its severity names. Statically:
 * e-mail, Slack and webhook receivers, every secret read from a file, and inhibition
 * rules that name alerts which exist. AlertRouting.integration.test.ts runs it for real.
 */
import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Yaml from "yaml"
import { onPath } from "../support/Binaries.ts"

const ROOT = Path.join(import.meta.dirname, "../../../..")
const CONFIG = Path.join(ROOT, "deploy/alertmanager/alertmanager.yml")
const config = Yaml.parse(Fs.readFileSync(CONFIG, "utf8"))
const alerts = (Yaml.parse(Fs.readFileSync(Path.join(ROOT, "dashboards/rules/alerts.yml"), "utf8")) as { groups: Array<any> })
  .groups.flatMap((g) => g.rules).filter((r: any) => r.alert !== undefined) as Array<
    { alert: string; labels: Record<string, string> }
  >

const amtool = (...args: ReadonlyArray<string>) => {
  const binary = onPath("amtool")
  if (binary === undefined) throw new Error("amtool is not on PATH: install the Debian package prometheus-alertmanager (.ci/run does)")
  const r = spawnSync(binary, [...args], { encoding: "utf8" })
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

describe("Alertmanager configuration", () => {
  it("passes amtool check-config", () => {
    const r = amtool("check-config", CONFIG)
    assert.strictEqual(r.status, 0, r.out)
    assert.include(r.out, "SUCCESS")
  })

  it("routes every alert of alerts.yml to the receiver of its severity", () => {
    assert.isAbove(alerts.length, 5)
    for (const alert of alerts) {
      const labels = Object.entries({ alertname: alert.alert, job: "marketgate", ...alert.labels }).map(([k, v]) => `${k}=${v}`)
      const r = amtool("config", "routes", "test", `--config.file=${CONFIG}`, ...labels)
      assert.strictEqual(r.status, 0, r.out)
      assert.strictEqual(r.out.split("\n").find((l) => !l.startsWith("Warning"))?.trim(), alert.labels.severity, alert.alert)
    }
  })

  it("pages by e-mail, Slack and webhook, files tickets in Slack and the webhook", () => {
    const receiver = (name: string) => config.receivers.find((r: any) => r.name === name)
    assert.hasAllKeys(receiver("page"), ["name", "email_configs", "slack_configs", "webhook_configs"])
    assert.hasAllKeys(receiver("ticket"), ["name", "slack_configs", "webhook_configs"])
    assert.deepStrictEqual(config.route.group_by, ["alertname", "job", "slo", "source"])
  })

  it("reads every secret from a file and holds none", () => {
    const text = Fs.readFileSync(CONFIG, "utf8")
    for (const key of ["smtp_auth_password:", "slack_api_url:", "api_url:", "credentials:", "password:", "auth_secret:"]) {
      assert.notInclude(text.replace(/_file:/g, "_FILE:"), key, `${key} holds a secret value; use its _file form`)
    }
    assert.include(text, "smtp_auth_password_file: /etc/alertmanager/secrets/")
    assert.include(text, "slack_api_url_file: /etc/alertmanager/secrets/")
    assert.include(text, "credentials_file: /etc/alertmanager/secrets/")
  })

  it("inhibits only with alerts that exist", () => {
    const names = new Set(alerts.map((a) => a.alert))
    const matching = (matcher: string) => {
      const m = /^alertname\s*(=~|=)\s*"(.+)"$/.exec(matcher)
      if (m === null) return true
      return m[1] === "=" ? names.has(m[2]!) : [...names].some((n) => new RegExp(`^(?:${m[2]})$`).test(n))
    }
    for (const rule of config.inhibit_rules) {
      for (const matcher of [...rule.source_matchers, ...rule.target_matchers]) {
        assert.isTrue(matching(matcher), `${matcher} matches no alert of alerts.yml`)
      }
    }
  })
})
