{{/*
Chart name, overridable with nameOverride.
*/}}
{{- define "inferd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name. Truncated to 63 characters because Kubernetes name fields (and DNS
labels, which Service names become) are limited to that. If the release name already contains the
chart name it is not repeated.
*/}}
{{- define "inferd.fullname" -}}
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

{{/*
Chart name and version for the helm.sh/chart label.
*/}}
{{- define "inferd.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object.
*/}}
{{- define "inferd.labels" -}}
helm.sh/chart: {{ include "inferd.chart" . }}
{{ include "inferd.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels: only these immutable ones, because a Deployment's selector cannot change.
*/}}
{{- define "inferd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "inferd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
ServiceAccount name.
*/}}
{{- define "inferd.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "inferd.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Server image: repository@digest when a digest is given, else repository:tag (tag defaults to the
chart's appVersion).
*/}}
{{- define "inferd.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The workload running the pods, as a scaleTargetRef: the Deployment, or the Argo Rollouts Rollout
that replaces it when rollout.enabled (it has a scale subresource, so the HPA and KEDA drive it).
*/}}
{{- define "inferd.workloadRef" -}}
{{- if .Values.rollout.enabled -}}
apiVersion: argoproj.io/v1alpha1
kind: Rollout
{{- else -}}
apiVersion: apps/v1
kind: Deployment
{{- end }}
name: {{ include "inferd.fullname" . }}
{{- end }}

{{/*
Non-empty when the pods serve gRPC (server.grpcPort > 0): the container port, the Service port
and the NetworkPolicy rule named `grpc` exist only then.
*/}}
{{- define "inferd.grpcEnabled" -}}
{{- if gt (int .Values.server.grpcPort) 0 }}true{{ end }}
{{- end }}

{{/*
Termination grace period: long enough for the preStop pause, inferd's drain and the requests
still in flight, so a rollout under load fails no request.
*/}}
{{- define "inferd.minGracePeriod" -}}
{{- add .Values.shutdown.preStopSleepSeconds .Values.server.drainSeconds .Values.shutdown.inFlightSeconds }}
{{- end }}
{{- define "inferd.terminationGracePeriodSeconds" -}}
{{- $min := include "inferd.minGracePeriod" . | int }}
{{- if gt (int .Values.shutdown.terminationGracePeriodSeconds) 0 }}
{{- .Values.shutdown.terminationGracePeriodSeconds }}
{{- else }}
{{- $min }}
{{- end }}
{{- end }}

{{/*
Render-time validation of value combinations the schema cannot express. Collects every problem
and fails once with all of them.
*/}}
{{- define "inferd.validate" -}}
{{- $errors := list }}
{{- if and .Values.autoscaling.enabled .Values.keda.enabled }}
{{- $errors = append $errors "autoscaling.enabled and keda.enabled are both true: pick one (KEDA creates its own HPA)." }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- $errors = append $errors "autoscaling.minReplicas is greater than autoscaling.maxReplicas." }}
{{- end }}
{{- if and .Values.autoscaling.enabled (eq (int .Values.autoscaling.targetMemoryUtilizationPercentage) 0) (eq (int .Values.autoscaling.targetCPUUtilizationPercentage) 0) (not .Values.autoscaling.requestsInFlight.enabled) }}
{{- $errors = append $errors "autoscaling.enabled needs at least one metric: set a memory or CPU target or enable requestsInFlight." }}
{{- end }}
{{- if and (eq .Values.model.source "volume") (empty .Values.model.volume) }}
{{- $errors = append $errors "model.source=volume needs model.volume, e.g. --set model.volume.persistentVolumeClaim.claimName=models." }}
{{- end }}
{{- if and (eq .Values.model.source "image") (empty .Values.model.image.reference) }}
{{- $errors = append $errors "model.source=image needs model.image.reference, e.g. --set model.image.reference=ghcr.io/acme/iris-model:1." }}
{{- end }}
{{- if .Values.rollout.enabled }}
{{- $previous := 0 }}
{{- range .Values.rollout.steps }}
{{- if le (int .) $previous }}
{{- $errors = append $errors (printf "rollout.steps must increase: %d follows %d (e.g. [10, 50])." (int .) $previous) }}
{{- end }}
{{- $previous = int . }}
{{- end }}
{{- end }}
{{- if include "inferd.grpcEnabled" . }}
{{- if eq (int .Values.server.grpcPort) (int .Values.server.port) }}
{{- $errors = append $errors (printf "server.grpcPort and server.port are both %d: give gRPC its own port (default 8081) or set server.grpcPort=0." (int .Values.server.port)) }}
{{- end }}
{{- if eq (int .Values.service.grpcPort) (int .Values.service.port) }}
{{- $errors = append $errors (printf "service.grpcPort and service.port are both %d: a Service needs a distinct port for gRPC." (int .Values.service.port)) }}
{{- end }}
{{- else if eq .Values.probes.type "grpc" }}
{{- $errors = append $errors "probes.type=grpc needs the gRPC endpoint, but server.grpcPort is 0: set server.grpcPort (e.g. 8081) or probes.type=http." }}
{{- end }}
{{- $min := include "inferd.minGracePeriod" . | int }}
{{- $set := int .Values.shutdown.terminationGracePeriodSeconds }}
{{- if and (gt $set 0) (lt $set $min) }}
{{- $errors = append $errors (printf "shutdown.terminationGracePeriodSeconds=%d is shorter than preStopSleepSeconds + server.drainSeconds + inFlightSeconds = %d; requests in flight would be killed." $set $min) }}
{{- end }}
{{- if $errors }}
{{- fail (printf "\n\nVALUES ERROR:\n  - %s" (join "\n  - " $errors)) }}
{{- end }}
{{- end }}
