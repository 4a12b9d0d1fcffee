/**
 * The project's own rules for rendered Kubernetes objects (docs/deployment.md lists them),
 * on top of the schema validation of kubernetes-models. Each finding names the object
 * and the container.
 */
export type K8sObject = Record<string, any>

export const objectId = (o: K8sObject) =>
  `${String(o.kind)}/${o.metadata?.namespace ? `${String(o.metadata.namespace)}/` : ""}${String(o.metadata?.name)}`

/** The pod spec of a workload, or undefined for other kinds. */
export const podSpecOf = (o: K8sObject): K8sObject | undefined => {
  switch (o.kind) {
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "Job":
      return o.spec?.template?.spec
    case "CronJob":
      return o.spec?.jobTemplate?.spec?.template?.spec
    case "Pod":
      return o.spec
    default:
      return undefined
  }
}

/** Names whose value is a credential: such a variable must come from a Secret, never a literal. */
const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL|DATABASE_URL|REDIS_URL|_DSN$)/i
/** A URL with a password in it (`scheme://user:password@host`). */
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s:/@[\]]*:[^\s@/[\]]+@/i
/** Strings shaped like well-known credentials. */
const CREDENTIAL_SHAPES: ReadonlyArray<RegExp> = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bAKIA[0-9A-Z]{16}\b/, // AWS access key id
  /\bxox[abprs]-[0-9A-Za-z-]{10,}/, // Slack token
  /\bgh[pousr]_[0-9A-Za-z]{30,}/, // GitHub token
  /hooks\.slack\.com\/services\/T[0-9A-Z]+\/B[0-9A-Z]+\/[0-9A-Za-z]+/
]

/** Every string in a value, with its path. */
const strings = (value: unknown, path: string): Array<{ readonly path: string; readonly value: string }> => {
  if (typeof value === "string") return [{ path, value }]
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`))
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => strings(v, path === "" ? k : `${path}.${k}`))
  }
  return []
}

/** An image reference pinned to a release: a digest, or a tag other than latest. */
export const pinnedImage = (image: string): boolean => {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true
  const lastSlash = image.lastIndexOf("/")
  const tagAt = image.indexOf(":", lastSlash + 1)
  if (tagAt < 0) return false
  const tag = image.slice(tagAt + 1)
  return tag.length > 0 && tag !== "latest" && !/^(main|master|dev|edge|nightly)$/.test(tag)
}

export interface Finding {
  readonly object: string
  readonly problem: string
}

/** What is wrong with these objects, by the rules below. Empty: all well. */
export const policyFindings = (objects: ReadonlyArray<K8sObject>): ReadonlyArray<Finding> => {
  const findings: Array<Finding> = []
  const add = (o: K8sObject, problem: string) => findings.push({ object: objectId(o), problem })
  for (const o of objects) {
    // No secret value anywhere: no Secret object with data, no credential-shaped string.
    if (o.kind === "Secret" && (Object.keys(o.data ?? {}).length > 0 || Object.keys(o.stringData ?? {}).length > 0)) {
      add(o, "a Secret with values: secrets are created outside git (docs/deployment.md#secrets)")
    }
    if (o.kind === "ConfigMap") {
      for (const key of Object.keys(o.data ?? {})) {
        if (SECRET_NAME.test(key)) add(o, `data.${key}: a secret setting in a ConfigMap; it belongs in the Secret`)
      }
    }
    for (const s of strings(o, "")) {
      if (URL_WITH_PASSWORD.test(s.value)) add(o, `${s.path} holds a URL with a password`)
      for (const shape of CREDENTIAL_SHAPES) if (shape.test(s.value)) add(o, `${s.path} looks like a credential (${shape.source})`)
    }
    const pod = podSpecOf(o)
    if (pod === undefined) continue
    const longRunning = o.kind === "Deployment" || o.kind === "StatefulSet" || o.kind === "DaemonSet"
    if (pod.automountServiceAccountToken !== false) add(o, "the pod mounts a service account token")
    const podContext = pod.securityContext ?? {}
    if (podContext.seccompProfile?.type !== "RuntimeDefault") add(o, "the pod has no RuntimeDefault seccomp profile")
    const containers: Array<{ c: K8sObject; init: boolean }> = [
      ...((pod.initContainers ?? []) as Array<K8sObject>).map((c) => ({ c, init: true })),
      ...((pod.containers ?? []) as Array<K8sObject>).map((c) => ({ c, init: false }))
    ]
    if (containers.length === 0) add(o, "no containers")
    for (const { c, init } of containers) {
      const where = `container ${String(c.name)}`
      const sc = c.securityContext ?? {}
      if (!pinnedImage(String(c.image ?? ""))) add(o, `${where}: image ${String(c.image)} is not pinned to a release tag or digest`)
      for (const kind of ["requests", "limits"] as const) {
        for (const resource of ["cpu", "memory"]) {
          if (c.resources?.[kind]?.[resource] === undefined) add(o, `${where}: no ${resource} ${kind}`)
        }
      }
      const nonRoot = (sc.runAsNonRoot ?? podContext.runAsNonRoot) === true
      const uid = sc.runAsUser ?? podContext.runAsUser
      if (!nonRoot) add(o, `${where}: runAsNonRoot is not true`)
      if (uid === 0) add(o, `${where}: runs as UID 0`)
      if (sc.readOnlyRootFilesystem !== true) add(o, `${where}: the root filesystem is not read-only`)
      if (sc.allowPrivilegeEscalation !== false) add(o, `${where}: allowPrivilegeEscalation is not false`)
      if (sc.privileged === true) add(o, `${where}: privileged`)
      const dropped = (sc.capabilities?.drop ?? []) as Array<string>
      if (!dropped.includes("ALL")) add(o, `${where}: capabilities are not dropped (drop: [ALL])`)
      if ((sc.capabilities?.add ?? []).length > 0) add(o, `${where}: adds capabilities`)
      // Probes: for the long-running containers (a Job's containers end on their own).
      if (longRunning && !init) {
        for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
          if (c[probe] === undefined) add(o, `${where}: no ${probe}`)
        }
      }
      for (const env of (c.env ?? []) as Array<K8sObject>) {
        if (typeof env.value === "string" && env.value.length > 0 && SECRET_NAME.test(String(env.name))) {
          add(o, `${where}: ${String(env.name)} is a literal value; take it from a Secret (valueFrom.secretKeyRef or envFrom)`)
        }
      }
    }
  }
  return findings
}
