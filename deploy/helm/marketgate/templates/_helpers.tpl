{{/* The chart name, or nameOverride. */}}
{{- define "marketgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Object name prefix: fullnameOverride, else the release name (with the chart name when the release name lacks it). */}}
{{- define "marketgate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels every object carries; call with (dict "ctx" $ "component" "server"). */}}
{{- define "marketgate.labels" -}}
app.kubernetes.io/name: {{ include "marketgate.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/part-of: marketgate
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end }}

{{/* Labels of pod templates (no chart version: a chart upgrade alone rolls no pod). */}}
{{- define "marketgate.podLabels" -}}
app.kubernetes.io/name: {{ include "marketgate.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/part-of: marketgate
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Selector of the service's pods. */}}
{{- define "marketgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "marketgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{- define "marketgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "marketgate.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image reference: repository:tag, or repository@digest when a digest is given. */}}
{{- define "marketgate.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "marketgate.secretName" -}}
{{- default (printf "%s-secrets" (include "marketgate.fullname" .)) .Values.secrets.existingSecret }}
{{- end }}

{{/* Pod securityContext shared by every pod of the chart (the restricted profile). */}}
{{- define "marketgate.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "marketgate.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{/* rclone's settings for the S3-compatible backup storage. */}}
{{- define "marketgate.rcloneEnv" -}}
- name: BACKUP_S3_BUCKET
  value: {{ .Values.backup.s3.bucket | quote }}
- name: BACKUP_S3_PREFIX
  value: {{ .Values.backup.s3.prefix | quote }}
- name: RCLONE_CONFIG_S3_TYPE
  value: s3
- name: RCLONE_CONFIG_S3_PROVIDER
  value: {{ .Values.backup.s3.provider | quote }}
- name: RCLONE_CONFIG_S3_ENDPOINT
  value: {{ .Values.backup.s3.endpoint | quote }}
- name: HOME
  value: /tmp
{{- end }}

{{/* Egress to the cluster DNS. */}}
{{- define "marketgate.dnsEgress" -}}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end }}
