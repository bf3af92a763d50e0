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
Annotations of the hooks the Job depends on (chart-made Secret, ServiceAccount, NetworkPolicy):
created before the Job (lower weight) and kept after it (before-hook-creation only), so that init
containers of the backend's pods can use them as well. With argocd.enabled, the same as an
Argo CD PreSync hook of an earlier sync wave.
*/}}
{{- define "aim-migrate.prerequisiteHookAnnotations" -}}
{{- $weight := sub (include "aim-migrate.hookWeight" . | int) 10 | toString -}}
helm.sh/hook: pre-install,pre-upgrade
helm.sh/hook-weight: {{ $weight | quote }}
helm.sh/hook-delete-policy: before-hook-creation
{{- if .Values.argocd.enabled }}
argocd.argoproj.io/hook: PreSync
argocd.argoproj.io/hook-delete-policy: BeforeHookCreation
argocd.argoproj.io/sync-wave: {{ $weight | quote }}
{{- end }}
{{- end -}}

{{/* job.hookDeletePolicy: the Jobs' helm.sh/hook-delete-policy. */}}
{{- define "aim-migrate.hookDeletePolicy" -}}
{{- $policy := .Values.job.hookDeletePolicy | default "before-hook-creation,hook-succeeded" | toString -}}
{{- range splitList "," $policy -}}
{{- if not (has . (list "before-hook-creation" "hook-succeeded" "hook-failed")) -}}
{{- fail (printf "job.hookDeletePolicy: %q is not before-hook-creation, hook-succeeded or hook-failed" .) -}}
{{- end -}}
{{- end -}}
{{- $policy -}}
{{- end -}}

{{/* The same policy in Argo CD's words (argocd.argoproj.io/hook-delete-policy). */}}
{{- define "aim-migrate.argocdDeletePolicy" -}}
{{- $names := dict "before-hook-creation" "BeforeHookCreation" "hook-succeeded" "HookSucceeded" "hook-failed" "HookFailed" -}}
{{- $out := list -}}
{{- range splitList "," (include "aim-migrate.hookDeletePolicy" .) -}}
{{- $out = append $out (index $names .) -}}
{{- end -}}
{{- join "," $out -}}
{{- end -}}

{{/* The ServiceAccount of the Job's pod. */}}
{{- define "aim-migrate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "aim-migrate.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/*
The full image reference: repository:tag, plus @digest when pinned. image.repository is
required: there is no public image, and a bare name would be pulled from Docker Hub's library.
*/}}
{{- define "aim-migrate.image" -}}
{{- $repository := .Values.image.repository | default "" | toString -}}
{{- if not $repository -}}
{{- fail "image.repository is required: the aim-migrate image built from this repository's Dockerfile and pushed to your registry, e.g. --set image.repository=registry.example.com/aim/aim-migrate (there is no public image: a bare \"aim-migrate\" would be pulled from Docker Hub as docker.io/library/aim-migrate)" -}}
{{- end -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion | toString -}}
{{- $ref := printf "%s:%s" $repository $tag -}}
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

{{/* Where database.ca mounts the CA certificate (as ca.crt; PGSSLROOTCERT names the file). */}}
{{- define "aim-migrate.caMountPath" -}}
/var/run/secrets/aim-migrate/ca
{{- end -}}

{{/* Where fanout.targetsSecret is mounted (as the file "targets"; AIM_TARGETS_FILE names it). */}}
{{- define "aim-migrate.targetsMountPath" -}}
/var/run/secrets/aim-migrate/targets
{{- end -}}

{{/*
True when a runner container fans out over the targets file: takes
(dict "ctx" <context> "role" <role>). Only the hook Jobs do (fanout.enabled); the init container
always belongs to one application database.
*/}}
{{- define "aim-migrate.fanoutFor" -}}
{{- $fanout := .ctx.Values.fanout | default dict -}}
{{- if and $fanout.enabled (has .role (list "pre-deploy" "post-deploy")) -}}true{{- end -}}
{{- end -}}

{{/* True when database.ca names a Secret or a ConfigMap. */}}
{{- define "aim-migrate.hasCA" -}}
{{- $ca := .Values.database.ca | default dict -}}
{{- if or $ca.secret $ca.configMap -}}true{{- end -}}
{{- end -}}

{{/*
A securityContext without the user and group under openshift.enabled (the restricted SCC assigns
them): takes (dict "context" <map> "ctx" <context>). Renders nothing for an empty context.
*/}}
{{- define "aim-migrate.securityContextFor" -}}
{{- $context := deepCopy (.context | default dict) -}}
{{- if (.ctx.Values.openshift | default dict).enabled -}}
{{- $context = omit $context "runAsUser" "runAsGroup" "fsGroup" -}}
{{- end -}}
{{- if $context -}}
{{- toYaml $context -}}
{{- end -}}
{{- end -}}

{{/* The pods' securityContext (podSecurityContext, openshift.enabled applied). */}}
{{- define "aim-migrate.podSecurityContext" -}}
{{- include "aim-migrate.securityContextFor" (dict "context" .Values.podSecurityContext "ctx" .) -}}
{{- end -}}

{{/*
The init containers that come before the runner (a list of Container, possibly empty):
`sidecars` as native sidecars (restartPolicy: Always, so they start first and are stopped once
the runner exited), then `extraInitContainers` as given.
*/}}
{{- define "aim-migrate.extraInitContainers" -}}
{{- range .Values.sidecars }}
- {{ toYaml (set (deepCopy .) "restartPolicy" "Always") | nindent 2 | trim }}
{{- end }}
{{- range .Values.extraInitContainers }}
- {{ toYaml . | nindent 2 | trim }}
{{- end }}
{{- end -}}

{{/* job.podFailurePolicy.failJobExitCodes as integers in ascending order (as the API wants). */}}
{{- define "aim-migrate.failJobExitCodes" -}}
{{- $codes := list -}}
{{- range . -}}
{{- $codes = append $codes (int .) -}}
{{- end -}}
{{- $sorted := list -}}
{{- range $code := until 256 -}}
{{- if has $code $codes -}}
{{- $sorted = append $sorted $code -}}
{{- end -}}
{{- end -}}
{{- join ", " $sorted -}}
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
{{- $ca := .Values.database.ca | default dict -}}
{{- if and $ca.secret $ca.configMap -}}
{{- fail "database.ca: set database.ca.secret or database.ca.configMap, not both" -}}
{{- end -}}
{{- $names := list "aim-migrate" -}}
{{- range concat (.Values.sidecars | default list) (.Values.extraInitContainers | default list) -}}
{{- if has .name $names -}}
{{- fail (printf "sidecars/extraInitContainers: the container name %q is taken (aim-migrate is the runner's)" .name) -}}
{{- end -}}
{{- $names = append $names .name -}}
{{- end -}}
{{- with .Values.networkPolicy -}}
{{- if .enabled -}}
{{- if not (include "aim-migrate.hasPeers" .database) -}}
{{- fail "networkPolicy.database needs cidrs, a namespaceSelector or a podSelector: where the database is" -}}
{{- end -}}
{{- if and $.Values.metrics.pushgatewayUrl (not (include "aim-migrate.hasPeers" .pushgateway)) -}}
{{- fail "networkPolicy.pushgateway needs cidrs, a namespaceSelector or a podSelector when metrics.pushgatewayUrl is set" -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with .Values.fanout -}}
{{- if and .enabled (not (.targetsSecret | default dict).name) -}}
{{- fail "fanout.targetsSecret.name is required when fanout.enabled is true: the Secret whose key fanout.targetsSecret.key holds the targets file (one database URL per line)" -}}
{{- end -}}
{{- end -}}
{{- $_ := include "aim-migrate.initCommand" . -}}
{{- $_ = include "aim-migrate.hookDeletePolicy" . -}}
{{- end -}}

{{/* True when a networkPolicy peer set (cidrs, namespaceSelector, podSelector) names any. */}}
{{- define "aim-migrate.hasPeers" -}}
{{- $peers := . | default dict -}}
{{- if or $peers.cidrs $peers.namespaceSelector $peers.podSelector -}}true{{- end -}}
{{- end -}}

{{/* The NetworkPolicyPeers of a peer set: an ipBlock per CIDR, one peer for the selectors. */}}
{{- define "aim-migrate.networkPeers" -}}
{{- $peers := . | default dict -}}
{{- range $peers.cidrs }}
- ipBlock:
    cidr: {{ . | quote }}
{{- end }}
{{- $selectors := pick $peers "namespaceSelector" "podSelector" }}
{{- range $key, $value := $selectors }}
{{- if not $value }}{{ $_ := unset $selectors $key }}{{ end }}
{{- end }}
{{- with $selectors }}
- {{ toYaml . | nindent 2 | trim }}
{{- end }}
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
{{- if include "aim-migrate.fanoutFor" . }}
{{- /* Fan-out: the targets file replaces the single database URL (there may be no such Secret). */}}
- name: AIM_TARGETS_FILE
  value: {{ printf "%s/targets" (include "aim-migrate.targetsMountPath" $ctx) | quote }}
- name: AIM_SHARD_COUNT
  value: {{ $ctx.Values.fanout.shards | default 1 | int64 | toString | quote }}
- name: AIM_PARALLEL
  value: {{ $ctx.Values.fanout.parallel | default 4 | int64 | toString | quote }}
{{- else if $ctx.Values.database.mountAsFile }}
- name: DATABASE_URL_FILE
  value: {{ printf "%s/url" (include "aim-migrate.databaseMountPath" $ctx) | quote }}
{{- else }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "aim-migrate.databaseSecretNameFor" . }}
      key: {{ include "aim-migrate.databaseSecretKeyFor" . | quote }}
{{- end }}
{{- if include "aim-migrate.hasCA" $ctx }}
- name: PGSSLROOTCERT
  value: {{ printf "%s/ca.crt" (include "aim-migrate.caMountPath" $ctx) | quote }}
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

{{/*
The runner's volumeMounts (a list of VolumeMount): takes (dict "ctx" <context> "role" <role>).
The hook Jobs under fanout.enabled mount the targets Secret instead of the database Secret.
*/}}
{{- define "aim-migrate.volumeMountsFor" -}}
{{- $ctx := .ctx -}}
- name: aim-migrate-tmp
  mountPath: /tmp
{{- if $ctx.Values.migrations.configMap }}
- name: aim-migrate-migrations
  mountPath: /migrations
  readOnly: true
{{- end }}
{{- if include "aim-migrate.fanoutFor" . }}
- name: aim-migrate-targets
  mountPath: {{ include "aim-migrate.targetsMountPath" $ctx }}
  readOnly: true
{{- else if $ctx.Values.database.mountAsFile }}
- name: aim-migrate-database
  mountPath: {{ include "aim-migrate.databaseMountPath" $ctx }}
  readOnly: true
{{- end }}
{{- if include "aim-migrate.hasCA" $ctx }}
- name: aim-migrate-ca
  mountPath: {{ include "aim-migrate.caMountPath" $ctx }}
  readOnly: true
{{- end }}
{{- with $ctx.Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The init container's volumeMounts (kept for charts that include it directly). */}}
{{- define "aim-migrate.volumeMounts" -}}
{{- include "aim-migrate.volumeMountsFor" (dict "ctx" . "role" "init") -}}
{{- end -}}

{{/*
The volumes a runner container needs, for its pod's "volumes" list: takes
(dict "ctx" <context> "role" <role>). The /tmp emptyDir, the migrations ConfigMap and the
database Secret file when used (the role's Secret), and extraVolumes. Their names start with
"aim-migrate-" so they do not clash with the backend's own volumes.
*/}}
{{- define "aim-migrate.volumesFor" -}}
{{- $ctx := .ctx -}}
{{- $emptyDir := dict -}}
{{- with $ctx.Values.tmpVolume.medium }}{{ $_ := set $emptyDir "medium" (toString .) }}{{ end -}}
{{- with $ctx.Values.tmpVolume.sizeLimit }}{{ $_ := set $emptyDir "sizeLimit" (toString .) }}{{ end -}}
- name: aim-migrate-tmp
  emptyDir:
    {{- toYaml $emptyDir | nindent 4 }}
{{- with $ctx.Values.migrations.configMap }}
- name: aim-migrate-migrations
  configMap:
    name: {{ . }}
{{- end }}
{{- if include "aim-migrate.fanoutFor" . }}
- name: aim-migrate-targets
  secret:
    secretName: {{ $ctx.Values.fanout.targetsSecret.name }}
    items:
      - key: {{ $ctx.Values.fanout.targetsSecret.key | default "targets" | quote }}
        path: targets
    defaultMode: 292
{{- else if $ctx.Values.database.mountAsFile }}
- name: aim-migrate-database
  secret:
    secretName: {{ include "aim-migrate.databaseSecretNameFor" . }}
    items:
      - key: {{ include "aim-migrate.databaseSecretKeyFor" . | quote }}
        path: url
    # 0444: readable by the runner whatever the pod's fsGroup (the init-container case).
    defaultMode: 292
{{- end }}
{{- with $ctx.Values.database.ca }}
{{- if .secret }}
- name: aim-migrate-ca
  secret:
    secretName: {{ .secret }}
    items:
      - key: {{ .key | default "ca.crt" | quote }}
        path: ca.crt
    defaultMode: 292
{{- else if .configMap }}
- name: aim-migrate-ca
  configMap:
    name: {{ .configMap }}
    items:
      - key: {{ .key | default "ca.crt" | quote }}
        path: ca.crt
    defaultMode: 292
{{- end }}
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
{{- with include "aim-migrate.securityContextFor" (dict "context" $ctx.Values.securityContext "ctx" $ctx) }}
securityContext:
  {{- . | nindent 2 }}
{{- end }}
{{- with $ctx.Values.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumeMounts:
  {{- include "aim-migrate.volumeMountsFor" . | trim | nindent 2 }}
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
{{- $fanout := include "aim-migrate.fanoutFor" . -}}
{{- $name := include "aim-migrate.fullname" $ctx -}}
{{- if $post -}}
{{- $name = include "aim-migrate.suffixedName" (dict "ctx" $ctx "suffix" "post-deploy") -}}
{{- end -}}
{{- $annotations := dict
      "helm.sh/hook" (ternary "post-install,post-upgrade" "pre-install,pre-upgrade" $post)
      "helm.sh/hook-weight" (include "aim-migrate.hookWeight" $ctx)
      "helm.sh/hook-delete-policy" (include "aim-migrate.hookDeletePolicy" $ctx) -}}
{{- if $ctx.Values.argocd.enabled -}}
{{- $_ := set $annotations "argocd.argoproj.io/hook" (ternary "PostSync" "PreSync" $post) -}}
{{- $_ = set $annotations "argocd.argoproj.io/hook-delete-policy" (include "aim-migrate.argocdDeletePolicy" $ctx) -}}
{{- $_ = set $annotations "argocd.argoproj.io/sync-wave" (include "aim-migrate.hookWeight" $ctx) -}}
{{- end -}}
{{- $annotations = merge $annotations (deepCopy ($ctx.Values.job.annotations | default dict)) -}}
{{- /* The mesh switch wins over podLabels/podAnnotations: it is the explicit setting. */ -}}
{{- $podLabels := deepCopy ($ctx.Values.podLabels | default dict) -}}
{{- $podAnnotations := deepCopy ($ctx.Values.podAnnotations | default dict) -}}
{{- if $ctx.Values.serviceMesh.disableInjection -}}
{{- $_ := set $podLabels "sidecar.istio.io/inject" "false" -}}
{{- $_ = set $podAnnotations "sidecar.istio.io/inject" "false" -}}
{{- $_ = set $podAnnotations "linkerd.io/inject" "disabled" -}}
{{- end -}}
{{- if $post }}
# Applies the post-deploy migrations (and anything else still pending) after the release's
# resources were installed or upgraded. With `helm upgrade --wait` (Argo CD: PostSync, Flux's
# default wait) that is after every new pod is ready; without it, as soon as the manifests are
# applied. A failure fails the install/upgrade; the Job stays for inspection:
{{- else }}
# Applies the pre-deploy migrations before the release's other resources are installed or
# upgraded (Argo CD: PreSync). Helm waits for it (up to --timeout); a failure fails the
# install/upgrade and the Job stays for inspection:
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
  {{- if $fanout }}
  # Fan-out: one pod per shard of the targets (JOB_COMPLETION_INDEX of AIM_SHARD_COUNT), all at
  # once. A shard is retried on its own (backoffLimitPerIndex) and fails on its own; the Job
  # fails if any shard failed, after every shard has finished. job.backoffLimit is left to its
  # default (no global limit) so that one shard's retries cannot stop the others.
  completionMode: Indexed
  completions: {{ $ctx.Values.fanout.shards | default 1 | int }}
  parallelism: {{ $ctx.Values.fanout.shards | default 1 | int }}
  backoffLimitPerIndex: {{ $ctx.Values.fanout.backoffLimitPerIndex | int }}
  {{- else }}
  backoffLimit: {{ $ctx.Values.job.backoffLimit | int }}
  {{- end }}
  activeDeadlineSeconds: {{ $ctx.Values.job.activeDeadlineSeconds | int64 }}
  {{- if not (kindIs "invalid" $ctx.Values.job.ttlSecondsAfterFinished) }}
  ttlSecondsAfterFinished: {{ $ctx.Values.job.ttlSecondsAfterFinished | int64 }}
  {{- end }}
  {{- with $ctx.Values.job.podFailurePolicy }}
  {{- if .enabled }}
  podFailurePolicy:
    rules:
      # Evicted by a node drain, preempted or deleted by the taint manager: the runner rolled
      # back on SIGTERM; a new pod runs without counting against {{ ternary "backoffLimitPerIndex" "backoffLimit" (not (empty $fanout)) }}.
      - action: Ignore
        onPodConditions:
          - type: DisruptionTarget
            status: "True"
      {{- with include "aim-migrate.failJobExitCodes" .failJobExitCodes }}
      {{- if $fanout }}
      # The runner's "do not retry" exit codes: a retry would fail the same way. Only this
      # shard's index fails; the other shards run on.
      - action: FailIndex
      {{- else }}
      # The runner's "do not retry" exit codes: a retry would fail the same way.
      - action: FailJob
      {{- end }}
        onExitCodes:
          containerName: aim-migrate
          operator: In
          values: [{{ . }}]
      {{- end }}
  {{- end }}
  {{- end }}
  template:
    metadata:
      labels:
        {{- include "aim-migrate.labelsFor" (dict "ctx" $ctx "component" "migration" "extra" $podLabels) | nindent 8 }}
      {{- with $podAnnotations }}
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
      {{- with include "aim-migrate.podSecurityContext" $ctx }}
      securityContext:
        {{- . | nindent 8 }}
      {{- end }}
      {{- with include "aim-migrate.extraInitContainers" $ctx | trim }}
      initContainers:
        {{- . | nindent 8 }}
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
