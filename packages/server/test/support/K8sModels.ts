/**
 * Schema validation of rendered objects with kubernetes-models (the Kubernetes 1.33
 * OpenAPI schemas) and @kubernetes-models/prometheus-operator (ServiceMonitor,
 * PrometheusRule). A kind without a model here is a failure, not a pass.
 */
import { PrometheusRule, ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1"
import { Deployment } from "kubernetes-models/apps/v1"
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2"
import { CronJob, Job } from "kubernetes-models/batch/v1"
import { Ingress, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1"
import { PodDisruptionBudget } from "kubernetes-models/policy/v1"
import { Role, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1"
import { ConfigMap, Namespace, PersistentVolumeClaim, Service, ServiceAccount } from "kubernetes-models/v1"
import { objectId, type K8sObject } from "./ManifestPolicy.ts"

type Model = new(data: any) => { validate(): void }

const MODELS: ReadonlyMap<string, Model> = new Map<string, Model>([
  ["v1/Namespace", Namespace],
  ["v1/ServiceAccount", ServiceAccount],
  ["v1/ConfigMap", ConfigMap],
  ["v1/Service", Service],
  ["v1/PersistentVolumeClaim", PersistentVolumeClaim],
  ["apps/v1/Deployment", Deployment],
  ["autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler],
  ["batch/v1/CronJob", CronJob],
  ["batch/v1/Job", Job],
  ["networking.k8s.io/v1/Ingress", Ingress],
  ["networking.k8s.io/v1/NetworkPolicy", NetworkPolicy],
  ["policy/v1/PodDisruptionBudget", PodDisruptionBudget],
  ["rbac.authorization.k8s.io/v1/Role", Role],
  ["rbac.authorization.k8s.io/v1/RoleBinding", RoleBinding],
  ["monitoring.coreos.com/v1/ServiceMonitor", ServiceMonitor],
  ["monitoring.coreos.com/v1/PrometheusRule", PrometheusRule]
])

/** Validation errors, one line per object that fails. */
export const schemaErrors = (objects: ReadonlyArray<K8sObject>): ReadonlyArray<string> =>
  objects.flatMap((o) => {
    const model = MODELS.get(`${String(o.apiVersion)}/${String(o.kind)}`)
    if (model === undefined) return [`${objectId(o)}: no model for ${String(o.apiVersion)} ${String(o.kind)}`]
    try {
      new model(o).validate()
      return []
    } catch (e) {
      return [`${objectId(o)}: ${e instanceof Error ? e.message : String(e)}`]
    }
  })
