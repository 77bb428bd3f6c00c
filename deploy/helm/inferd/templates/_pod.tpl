{{/*
The pod template of the server, shared by the Deployment and the Argo Rollouts Rollout
(rollout.enabled), so both run exactly the same pods.
*/}}
{{- define "inferd.podTemplate" -}}
metadata:
  labels:
    {{- include "inferd.labels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "inferd.serviceAccountName" . }}
  # inferd never calls the Kubernetes API: no token in the pod.
  automountServiceAccountToken: false
  enableServiceLinks: false
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  # preStop pause + inferd's drain + time for requests in flight.
  terminationGracePeriodSeconds: {{ include "inferd.terminationGracePeriodSeconds" . }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: inferd
      image: {{ include "inferd.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args: ["serve"]
      env:
        - name: INFERD_HOST
          value: "0.0.0.0"
        - name: INFERD_PORT
          value: {{ .Values.server.port | quote }}
        # Always set: the server's own default is 8081, so 0 must be explicit to turn gRPC off.
        - name: INFERD_GRPC_PORT
          value: {{ .Values.server.grpcPort | int | quote }}
        - name: INFERD_MODEL
          value: {{ printf "%s/%s" (trimSuffix "/" .Values.model.mountPath) .Values.model.file | quote }}
        {{- if gt (int .Values.server.threads) 0 }}
        - name: INFERD_THREADS
          value: {{ .Values.server.threads | quote }}
        {{- end }}
        - name: INFERD_DRAIN_SECONDS
          value: {{ .Values.server.drainSeconds | quote }}
        # After the drain, in-flight requests get this long before connections are dropped.
        - name: INFERD_SHUTDOWN_TIMEOUT_SECONDS
          value: {{ .Values.shutdown.inFlightSeconds | quote }}
        - name: INFERD_MAX_BODY_BYTES
          value: {{ .Values.server.maxBodyBytes | int64 | quote }}
        - name: INFERD_LOG_REQUESTS
          value: {{ .Values.server.logRequests | quote }}
        {{- with .Values.server.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        - name: http
          containerPort: {{ .Values.server.port }}
          protocol: TCP
        {{- if include "inferd.grpcEnabled" . }}
        - name: grpc
          containerPort: {{ .Values.server.grpcPort | int }}
          protocol: TCP
        {{- end }}
      {{- if eq .Values.probes.type "grpc" }}
      # grpc.health.v1.Health on the gRPC port (a probe's grpc.port must be a number, not a name).
      # Service "" (omitted) is SERVING once every model is loaded and not draining; `liveness`
      # is SERVING while the process runs, so a drain never restarts the container.
      startupProbe:
        grpc:
          port: {{ .Values.server.grpcPort | int }}
        {{- toYaml .Values.probes.startup | nindent 8 }}
      readinessProbe:
        grpc:
          port: {{ .Values.server.grpcPort | int }}
        {{- toYaml .Values.probes.readiness | nindent 8 }}
      livenessProbe:
        grpc:
          port: {{ .Values.server.grpcPort | int }}
          service: liveness
        {{- toYaml .Values.probes.liveness | nindent 8 }}
      {{- else }}
      startupProbe:
        httpGet:
          path: /readyz
          port: http
        {{- toYaml .Values.probes.startup | nindent 8 }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: http
        {{- toYaml .Values.probes.readiness | nindent 8 }}
      livenessProbe:
        httpGet:
          path: /healthz
          port: http
        {{- toYaml .Values.probes.liveness | nindent 8 }}
      {{- end }}
      lifecycle:
        preStop:
          # The image has no shell: the kubelet's built-in sleep keeps the pod serving while
          # endpoints are withdrawn everywhere; then SIGTERM starts inferd's own drain.
          sleep:
            seconds: {{ .Values.shutdown.preStopSleepSeconds }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      {{- if ne .Values.model.source "baked" }}
      volumeMounts:
        - name: model
          mountPath: {{ .Values.model.mountPath }}
          readOnly: true
      {{- end }}
  {{- if eq .Values.model.source "volume" }}
  volumes:
    - name: model
      {{- toYaml .Values.model.volume | nindent 6 }}
  {{- else if eq .Values.model.source "image" }}
  volumes:
    - name: model
      # An OCI image holding /model.pkl (Dockerfile target `model`), mounted read-only:
      # a new model is a new small image, not a new server image.
      image:
        reference: {{ .Values.model.image.reference }}
        pullPolicy: {{ .Values.model.image.pullPolicy }}
  {{- end }}
  {{- with .Values.topologySpread }}
  topologySpreadConstraints:
    {{- range . }}
    - topologyKey: {{ .topologyKey }}
      maxSkew: {{ .maxSkew }}
      whenUnsatisfiable: {{ .whenUnsatisfiable }}
      labelSelector:
        matchLabels:
          {{- include "inferd.selectorLabels" $ | nindent 10 }}
    {{- end }}
  {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
