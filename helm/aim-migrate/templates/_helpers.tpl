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
What the init container runs: "wait" (default: wait for the pre-deploy migrations, change
nothing) or "migrate" (apply the pending pre-deploy migrations itself), from
initContainer.command.
*/}}
{{- define "aim-migrate.initCommand" -}}
{{- $init := .Values.initContainer | default dict -}}
{{- $command := $init.command | default "wait" | toString -}}
{{- if not (has $command (list "wait" "migrate")) -}}
{{- fail (printf "initContainer.command must be \"wait\" or \"migrate\", not %q" $command) -}}
{{- end -}}
{{- $command -}}
{{- end -}}

{{/* initContainer.database.existingSecret.name: the init container's own Secret ("" = none). */}}
{{- define "aim-migrate.initSecretName" -}}
{{- $init := .Values.initContainer | default dict -}}
{{- $database := $init.database | default dict -}}
{{- $secret := $database.existingSecret | default dict -}}
{{- $secret.name | default "" -}}
{{- end -}}

{{/*
The Secret (name, then key) a runner container reads the database URL from: takes
(dict "ctx" <context> "role" <"pre-deploy", "post-deploy" or "init">). The init container uses
initContainer.database.existingSecret when it is set (e.g. a role that can only read the history
table, enough for `wait`), the chart's database Secret otherwise; the Jobs always the latter.
*/}}
{{- define "aim-migrate.databaseSecretNameFor" -}}
{{- $own := include "aim-migrate.initSecretName" .ctx -}}
{{- if and (eq .role "init") $own -}}
{{- $own -}}
{{- else -}}
{{- include "aim-migrate.databaseSecretName" .ctx -}}
{{- end -}}
{{- end -}}

{{- define "aim-migrate.databaseSecretKeyFor" -}}
{{- if and (eq .role "init") (include "aim-migrate.initSecretName" .ctx) -}}
{{- .ctx.Values.initContainer.database.existingSecret.key | default "DATABASE_URL" -}}
{{- else -}}
{{- include "aim-migrate.databaseSecretKey" .ctx -}}
{{- end -}}
{{- end -}}

{{/*
AIM_PHASE of a runner container: takes (dict "ctx" <context> "role" <role>). Whatever runs
before or during the rollout (the pre-install/pre-upgrade Job, an init container in "migrate"
mode) applies only pre-deploy migrations; the post-install/post-upgrade Job applies everything
pending, the post-deploy migrations included. "" (not rendered) for `wait`, which has no phase.
*/}}
{{- define "aim-migrate.phase" -}}
{{- if eq .role "post-deploy" -}}
all
{{- else if or (eq .role "pre-deploy") (eq (include "aim-migrate.initCommand" .ctx) "migrate") -}}
pre-deploy
{{- end -}}
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
{{- $_ := include "aim-migrate.initCommand" . -}}
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
The runner's environment (a list of EnvVar): takes (dict "ctx" <context> "role" <role>). The
database URL only ever comes from a Secret: a secretKeyRef, or a mounted file named by
DATABASE_URL_FILE.
*/}}
{{- define "aim-migrate.envFor" -}}
{{- $ctx := .ctx }}
{{- $role := .role }}
{{- if $ctx.Values.database.mountAsFile }}
- name: DATABASE_URL_FILE
  value: {{ printf "%s/url" (include "aim-migrate.databaseMountPath" $ctx) | quote }}
{{- else }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "aim-migrate.databaseSecretNameFor" . }}
      key: {{ include "aim-migrate.databaseSecretKeyFor" . | quote }}
{{- end }}
{{- $config := $ctx.Values.config | default dict }}
{{- $migrationsDir := ternary "/migrations" ($config.migrationsDir | default "") (not (empty $ctx.Values.migrations.configMap)) }}
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
{{- with include "aim-migrate.phase" . }}
- name: AIM_PHASE
  value: {{ . | quote }}
{{- end }}
{{- if and (eq $role "init") (eq (include "aim-migrate.initCommand" $ctx) "wait") }}
{{- $waitTimeout := ($ctx.Values.initContainer | default dict).waitTimeout }}
{{- if and (not (kindIs "invalid" $waitTimeout)) (ne (toString $waitTimeout) "") }}
- name: AIM_WAIT_TIMEOUT
  value: {{ toString $waitTimeout | quote }}
{{- end }}
{{- end }}
{{- with $ctx.Values.metrics }}
{{- if .pushgatewayUrl }}
- name: AIM_PUSHGATEWAY_URL
  value: {{ .pushgatewayUrl | quote }}
{{- with .job }}
- name: AIM_PUSHGATEWAY_JOB
  value: {{ . | quote }}
{{- end }}
- name: AIM_PUSHGATEWAY_GROUPING
  value: {{ include "aim-migrate.pushgatewayGrouping" $ctx | quote }}
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
{{- with $ctx.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The pre-deploy Job's environment (kept for charts that include it directly). */}}
{{- define "aim-migrate.env" -}}
{{- include "aim-migrate.envFor" (dict "ctx" . "role" "pre-deploy") -}}
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
The volumes a runner container needs, for its pod's "volumes" list: takes
(dict "ctx" <context> "role" <role>). The /tmp emptyDir, the migrations ConfigMap and the
database Secret file when used (the role's Secret), and extraVolumes. Their names start with
"aim-migrate-" so they do not clash with the backend's own volumes.
*/}}
{{- define "aim-migrate.volumesFor" -}}
{{- $ctx := .ctx -}}
- name: aim-migrate-tmp
  emptyDir:
    {{- with $ctx.Values.tmpVolume.medium }}
    medium: {{ . }}
    {{- end }}
    {{- with $ctx.Values.tmpVolume.sizeLimit }}
    sizeLimit: {{ . | quote }}
    {{- end }}
{{- with $ctx.Values.migrations.configMap }}
- name: aim-migrate-migrations
  configMap:
    name: {{ . }}
{{- end }}
{{- if $ctx.Values.database.mountAsFile }}
- name: aim-migrate-database
  secret:
    secretName: {{ include "aim-migrate.databaseSecretNameFor" . }}
    items:
      - key: {{ include "aim-migrate.databaseSecretKeyFor" . | quote }}
        path: url
    # 0444: readable by the runner whatever the pod's fsGroup (the init-container case).
    defaultMode: 292
{{- end }}
{{- with $ctx.Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
The volumes the init container needs, for the backend pod's "volumes" list (see
"aim-migrate.initContainer").
*/}}
{{- define "aim-migrate.volumes" -}}
{{- include "aim-migrate.volumesFor" (dict "ctx" . "role" "init") -}}
{{- end -}}

{{/*
A runner container (one Container object): takes (dict "ctx" <context> "role" <role>), where
role is "pre-deploy" (the pre-install/pre-upgrade Job), "post-deploy" (the
post-install/post-upgrade Job) or "init" (the backend pods' init container). Only the arguments,
AIM_PHASE, AIM_WAIT_TIMEOUT and (for "init") the database Secret differ.
*/}}
{{- define "aim-migrate.containerFor" -}}
{{- $ctx := .ctx -}}
{{- include "aim-migrate.validate" $ctx -}}
{{- $args := $ctx.Values.args -}}
{{- if and (eq .role "init") (eq (include "aim-migrate.initCommand" $ctx) "wait") -}}
{{- $args = list "wait" -}}
{{- end -}}
name: aim-migrate
image: {{ include "aim-migrate.image" $ctx | quote }}
imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
{{- with $args }}
args:
  {{- toYaml . | nindent 2 }}
{{- end }}
env:
  {{- include "aim-migrate.envFor" . | trim | nindent 2 }}
{{- with $ctx.Values.extraEnvFrom }}
envFrom:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml $ctx.Values.securityContext | nindent 2 }}
{{- with $ctx.Values.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumeMounts:
  {{- include "aim-migrate.volumeMounts" $ctx | trim | nindent 2 }}
# The end of the log becomes the termination message, shown by `kubectl describe pod`.
terminationMessagePolicy: FallbackToLogsOnError
{{- end -}}

{{/* The pre-deploy Job's container (kept for charts that include it directly). */}}
{{- define "aim-migrate.container" -}}
{{- include "aim-migrate.containerFor" (dict "ctx" . "role" "pre-deploy") -}}
{{- end -}}

{{/*
The runner as an init container of a backend pod (one Container object, for "initContainers").
The pod must also carry the volumes of "aim-migrate.volumes". By default
(initContainer.command=wait) it runs `aim-migrate wait`: it polls until every pre-deploy
migration its image ships is applied, changes nothing, takes no lock and needs only SELECT on the
history table (initContainer.database.existingSecret can name such a role's Secret); it exits 5
after initContainer.waitTimeout, and Kubernetes restarts it. With initContainer.command=migrate
it applies the pending pre-deploy migrations itself, under the advisory lock. The backend starts
only after it exited 0.
*/}}
{{- define "aim-migrate.initContainer" -}}
{{- include "aim-migrate.containerFor" (dict "ctx" . "role" "init") -}}
{{- end -}}

{{/*
A migration hook Job: takes (dict "ctx" <context> "role" <"pre-deploy" or "post-deploy">). The
two Jobs share everything (job.*, the pod settings, the container) except their name, their hook
and AIM_PHASE.
*/}}
{{- define "aim-migrate.job" -}}
{{- $ctx := .ctx -}}
{{- $post := eq .role "post-deploy" -}}
{{- include "aim-migrate.validate" $ctx -}}
{{- $name := include "aim-migrate.fullname" $ctx -}}
{{- if $post -}}
{{- $name = include "aim-migrate.suffixedName" (dict "ctx" $ctx "suffix" "post-deploy") -}}
{{- end -}}
{{- $annotations := dict
      "helm.sh/hook" (ternary "post-install,post-upgrade" "pre-install,pre-upgrade" $post)
      "helm.sh/hook-weight" (include "aim-migrate.hookWeight" $ctx)
      "helm.sh/hook-delete-policy" "before-hook-creation,hook-succeeded" -}}
{{- $annotations = merge $annotations (deepCopy ($ctx.Values.job.annotations | default dict)) -}}
{{- if $post }}
# Applies the post-deploy migrations (and anything else still pending) after the release's
# resources were installed or upgraded. With `helm upgrade --wait` (Argo CD PostSync, Flux's
# default wait) that is after every new pod is ready; without it, as soon as the manifests are
# applied. A failure fails the install/upgrade; the Job stays for inspection:
{{- else }}
# Applies the pre-deploy migrations before the release's other resources are installed or
# upgraded. Helm waits for it (up to --timeout); a failure fails the install/upgrade and the Job
# stays for inspection:
{{- end }}
#   kubectl logs job/{{ $name }} -n {{ $ctx.Release.Namespace }}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ $name }}
  namespace: {{ $ctx.Release.Namespace }}
  labels:
    {{- include "aim-migrate.labels" $ctx | nindent 4 }}
  annotations:
    {{- toYaml $annotations | nindent 4 }}
spec:
  backoffLimit: {{ $ctx.Values.job.backoffLimit | int }}
  activeDeadlineSeconds: {{ $ctx.Values.job.activeDeadlineSeconds | int64 }}
  {{- if not (kindIs "invalid" $ctx.Values.job.ttlSecondsAfterFinished) }}
  ttlSecondsAfterFinished: {{ $ctx.Values.job.ttlSecondsAfterFinished | int64 }}
  {{- end }}
  template:
    metadata:
      labels:
        {{- include "aim-migrate.labelsFor" (dict "ctx" $ctx "component" "migration" "extra" $ctx.Values.podLabels) | nindent 8 }}
      {{- with $ctx.Values.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      restartPolicy: Never
      serviceAccountName: {{ include "aim-migrate.serviceAccountName" $ctx }}
      automountServiceAccountToken: {{ $ctx.Values.serviceAccount.automountServiceAccountToken }}
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ $ctx.Values.job.terminationGracePeriodSeconds | int64 }}
      {{- with $ctx.Values.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      {{- with $ctx.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $ctx.Values.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - {{ include "aim-migrate.containerFor" . | nindent 10 | trim }}
      volumes:
        {{- include "aim-migrate.volumesFor" . | trim | nindent 8 }}
      {{- with $ctx.Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $ctx.Values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $ctx.Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}
