{{/*
Named templates of the aim-migrate chart.

Every template here takes this chart's context: the root context (".") inside this chart, or,
from a parent chart that has aim-migrate as a dependency, the subchart's context (.Subcharts):

  {{- $migrate := index .Subcharts "aim-migrate" }}
  ...
      initContainers:
        - {{ include "aim-migrate.initContainer" $migrate | nindent 10 | trim }}
      volumes:
        {{- include "aim-migrate.volumes" $migrate | nindent 8 }}
*/}}

{{/* The chart name, usable as a label value. */}}
{{- define "aim-migrate.name" -}}
{{- .Values.nameOverride | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The prefix of every resource name: fullnameOverride, or "<release>-<name>" unless the release
name already contains the chart name. At most 63 characters (a DNS label).
*/}}
{{- define "aim-migrate.fullname" -}}
{{- $full := "" -}}
{{- if .Values.fullnameOverride -}}
{{- $full = .Values.fullnameOverride -}}
{{- else -}}
{{- $name := include "aim-migrate.name" . -}}
{{- $full = ternary .Release.Name (printf "%s-%s" .Release.Name $name) (contains $name .Release.Name) -}}
{{- end -}}
{{- $full | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* "<fullname>-<suffix>", shortened so the result stays a 63-character DNS label. */}}
{{- define "aim-migrate.suffixedName" -}}
{{- $fullname := include "aim-migrate.fullname" .ctx -}}
{{- $room := sub 62 (len .suffix) | int -}}
{{- printf "%s-%s" ($fullname | trunc $room | trimSuffix "-") .suffix -}}
{{- end -}}

{{/* Value of the helm.sh/chart label. */}}
{{- define "aim-migrate.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: takes (dict "ctx" <context> "component" <component>). */}}
{{- define "aim-migrate.selectorLabelsFor" -}}
app.kubernetes.io/name: {{ include "aim-migrate.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
The standard labels plus commonLabels (which cannot override them): takes
(dict "ctx" <context> "component" <component> "extra" <map or nil>).
*/}}
{{- define "aim-migrate.labelsFor" -}}
{{- $ctx := .ctx -}}
{{- $labels := dict
      "helm.sh/chart" (include "aim-migrate.chart" $ctx)
      "app.kubernetes.io/name" (include "aim-migrate.name" $ctx)
      "app.kubernetes.io/instance" $ctx.Release.Name
      "app.kubernetes.io/version" ($ctx.Chart.AppVersion | toString | replace "+" "_" | trunc 63 | trimSuffix "-")
      "app.kubernetes.io/component" .component
      "app.kubernetes.io/part-of" ($ctx.Values.partOf | toString)
      "app.kubernetes.io/managed-by" $ctx.Release.Service -}}
{{- $labels = merge $labels (deepCopy ($ctx.Values.commonLabels | default dict)) (deepCopy (.extra | default dict)) -}}
{{- toYaml $labels -}}
{{- end -}}

{{/* Labels of the migration resources (Job, Secret, ServiceAccount). */}}
{{- define "aim-migrate.labels" -}}
{{- include "aim-migrate.labelsFor" (dict "ctx" . "component" "migration") -}}
{{- end -}}

{{/* Hook weight of the Job, from job.hookWeight (an integer or a numeric string). */}}
{{- define "aim-migrate.hookWeight" -}}
{{- .Values.job.hookWeight | default 0 | int -}}
{{- end -}}

{{/*
Annotations of the hooks the Job depends on (chart-made Secret, ServiceAccount): created before
the Job (lower weight) and kept after it (before-hook-creation only), so that init containers of
the backend's pods can use them as well.
*/}}
{{- define "aim-migrate.prerequisiteHookAnnotations" -}}
helm.sh/hook: pre-install,pre-upgrade
helm.sh/hook-weight: {{ sub (include "aim-migrate.hookWeight" . | int) 10 | quote }}
helm.sh/hook-delete-policy: before-hook-creation
{{- end -}}

{{/* The ServiceAccount of the Job's pod. */}}
{{- define "aim-migrate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "aim-migrate.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* The full image reference: repository:tag, plus @digest when pinned. */}}
{{- define "aim-migrate.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion | toString -}}
{{- $ref := printf "%s:%s" .Values.image.repository $tag -}}
{{- with .Values.image.digest -}}
{{- $ref = printf "%s@%s" $ref . -}}
{{- end -}}
{{- $ref -}}
{{- end -}}

{{/* True when the chart creates the database Secret from database.url. */}}
{{- define "aim-migrate.createDatabaseSecret" -}}
{{- if .Values.database.url -}}true{{- end -}}
{{- end -}}

{{/* Name of the Secret that holds the database URL. */}}
{{- define "aim-migrate.databaseSecretName" -}}
{{- $default := include "aim-migrate.suffixedName" (dict "ctx" . "suffix" "database") -}}
{{- if include "aim-migrate.createDatabaseSecret" . -}}
{{- $default -}}
{{- else -}}
{{- .Values.database.existingSecret.name | default $default -}}
{{- end -}}
{{- end -}}

{{/* Key of the database URL inside that Secret. */}}
{{- define "aim-migrate.databaseSecretKey" -}}
{{- if include "aim-migrate.createDatabaseSecret" . -}}
DATABASE_URL
{{- else -}}
{{- .Values.database.existingSecret.key | default "DATABASE_URL" -}}
{{- end -}}
{{- end -}}

{{/* Where database.mountAsFile mounts the Secret. */}}
{{- define "aim-migrate.databaseMountPath" -}}
/var/run/secrets/aim-migrate/database
{{- end -}}

{{/*
Checks across values that the schema also enforces; repeated here so that a render with
--skip-schema-validation still cannot produce an inconsistent release.
*/}}
{{- define "aim-migrate.validate" -}}
{{- if and .Values.database.url .Values.database.existingSecret.name -}}
{{- fail "database: set database.url (a Secret made by the chart) or database.existingSecret.name (your own Secret), not both" -}}
{{- end -}}
{{- if and .Values.migrations.configMap .Values.config.migrationsDir -}}
{{- fail "config.migrationsDir must be empty when migrations.configMap is set (the ConfigMap is mounted at /migrations)" -}}
{{- end -}}
{{- if and .Values.metrics.passwordSecret.name (not .Values.metrics.username) -}}
{{- fail "metrics.passwordSecret needs metrics.username (basic auth)" -}}
{{- end -}}
{{- end -}}

{{/* AIM_PUSHGATEWAY_GROUPING: namespace and release, then metrics.extraGroupingLabels by key. */}}
{{- define "aim-migrate.pushgatewayGrouping" -}}
{{- $pairs := list (printf "namespace=%s" .Release.Namespace) (printf "release=%s" .Release.Name) -}}
{{- range $key, $value := .Values.metrics.extraGroupingLabels -}}
{{- $pairs = append $pairs (printf "%s=%s" $key (toString $value)) -}}
{{- end -}}
{{- join "," $pairs -}}
{{- end -}}

{{/*
The runner's environment (a list of EnvVar). The database URL only ever comes from a Secret:
a secretKeyRef, or a mounted file named by DATABASE_URL_FILE.
*/}}
{{- define "aim-migrate.env" -}}
{{- if .Values.database.mountAsFile }}
- name: DATABASE_URL_FILE
  value: {{ printf "%s/url" (include "aim-migrate.databaseMountPath" .) | quote }}
{{- else }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "aim-migrate.databaseSecretName" . }}
      key: {{ include "aim-migrate.databaseSecretKey" . | quote }}
{{- end }}
{{- $config := .Values.config | default dict }}
{{- $migrationsDir := ternary "/migrations" ($config.migrationsDir | default "") (not (empty .Values.migrations.configMap)) }}
{{- if $migrationsDir }}
- name: AIM_MIGRATIONS_DIR
  value: {{ $migrationsDir | quote }}
{{- end }}
{{- $settings := list
      (list "schema" "AIM_SCHEMA")
      (list "historyTable" "AIM_HISTORY_TABLE")
      (list "sentinelTable" "AIM_SENTINEL_TABLE")
      (list "baselineVersion" "AIM_BASELINE_VERSION")
      (list "lockName" "AIM_LOCK_NAME")
      (list "lockTimeout" "AIM_LOCK_TIMEOUT")
      (list "connectTimeout" "AIM_CONNECT_TIMEOUT")
      (list "ddlLockTimeout" "AIM_DDL_LOCK_TIMEOUT")
      (list "ddlLockRetries" "AIM_DDL_LOCK_RETRIES")
      (list "statementTimeout" "AIM_STATEMENT_TIMEOUT")
      (list "logFormat" "AIM_LOG_FORMAT")
      (list "logLevel" "AIM_LOG_LEVEL")
      (list "applicationName" "AIM_APPLICATION_NAME")
      (list "outOfOrder" "AIM_OUT_OF_ORDER")
      (list "strict" "AIM_STRICT") }}
{{- range $settings }}
{{- $value := index $config (index . 0) }}
{{- if and (not (kindIs "invalid" $value)) (ne (toString $value) "") }}
{{- if or (kindIs "float64" $value) (kindIs "int64" $value) (kindIs "int" $value) }}
{{- $value = int64 $value }}
{{- end }}
- name: {{ index . 1 }}
  value: {{ toString $value | quote }}
{{- end }}
{{- end }}
{{- with .Values.metrics }}
{{- if .pushgatewayUrl }}
- name: AIM_PUSHGATEWAY_URL
  value: {{ .pushgatewayUrl | quote }}
{{- with .job }}
- name: AIM_PUSHGATEWAY_JOB
  value: {{ . | quote }}
{{- end }}
- name: AIM_PUSHGATEWAY_GROUPING
  value: {{ include "aim-migrate.pushgatewayGrouping" $ | quote }}
{{- with .username }}
- name: AIM_PUSHGATEWAY_USERNAME
  value: {{ . | quote }}
{{- end }}
{{- if .passwordSecret.name }}
- name: AIM_PUSHGATEWAY_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .passwordSecret.name }}
      key: {{ .passwordSecret.key | default "password" | quote }}
{{- end }}
{{- with .timeout }}
- name: AIM_PUSHGATEWAY_TIMEOUT
  value: {{ . | quote }}
{{- end }}
- name: AIM_METRICS_REQUIRED
  value: {{ .required | default false | toString | quote }}
{{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The runner's volumeMounts (a list of VolumeMount). */}}
{{- define "aim-migrate.volumeMounts" -}}
- name: aim-migrate-tmp
  mountPath: /tmp
{{- if .Values.migrations.configMap }}
- name: aim-migrate-migrations
  mountPath: /migrations
  readOnly: true
{{- end }}
{{- if .Values.database.mountAsFile }}
- name: aim-migrate-database
  mountPath: {{ include "aim-migrate.databaseMountPath" . }}
  readOnly: true
{{- end }}
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
The volumes the runner container needs, for the pod's "volumes" list: the /tmp emptyDir, the
migrations ConfigMap and the database Secret file when used, and extraVolumes. Their names
start with "aim-migrate-" so they do not clash with the backend's own volumes.
*/}}
{{- define "aim-migrate.volumes" -}}
- name: aim-migrate-tmp
  emptyDir:
    {{- with .Values.tmpVolume.medium }}
    medium: {{ . }}
    {{- end }}
    {{- with .Values.tmpVolume.sizeLimit }}
    sizeLimit: {{ . | quote }}
    {{- end }}
{{- with .Values.migrations.configMap }}
- name: aim-migrate-migrations
  configMap:
    name: {{ . }}
{{- end }}
{{- if .Values.database.mountAsFile }}
- name: aim-migrate-database
  secret:
    secretName: {{ include "aim-migrate.databaseSecretName" . }}
    items:
      - key: {{ include "aim-migrate.databaseSecretKey" . | quote }}
        path: url
    # 0444: readable by the runner whatever the pod's fsGroup (the init-container case).
    defaultMode: 292
{{- end }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The runner container: one Container object, shared by the Job and the init container. */}}
{{- define "aim-migrate.container" -}}
{{- include "aim-migrate.validate" . -}}
name: aim-migrate
image: {{ include "aim-migrate.image" . | quote }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
{{- with .Values.args }}
args:
  {{- toYaml . | nindent 2 }}
{{- end }}
env:
  {{- include "aim-migrate.env" . | trim | nindent 2 }}
{{- with .Values.extraEnvFrom }}
envFrom:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
{{- with .Values.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumeMounts:
  {{- include "aim-migrate.volumeMounts" . | trim | nindent 2 }}
# The end of the log becomes the termination message, shown by `kubectl describe pod`.
terminationMessagePolicy: FallbackToLogsOnError
{{- end -}}

{{/*
The runner as an init container of a backend pod (one Container object, for "initContainers").
The pod must also carry the volumes of "aim-migrate.volumes". The backend starts only after a
successful run; a failing run keeps the pod in Init:Error/CrashLoopBackOff.
*/}}
{{- define "aim-migrate.initContainer" -}}
{{- include "aim-migrate.container" . -}}
{{- end -}}
