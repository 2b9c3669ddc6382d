{{/*
Shared names, labels and pod parts for the web, worker and scheduler deployments.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "followthrough.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name, the prefix of every object's name (63 characters at most). */}}
{{- define "followthrough.fullname" -}}
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

{{/* Chart name and version, for the helm.sh/chart label. */}}
{{- define "followthrough.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "followthrough.labels" -}}
helm.sh/chart: {{ include "followthrough.chart" . }}
{{ include "followthrough.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels that select the release's pods (each deployment adds its component). */}}
{{- define "followthrough.selectorLabels" -}}
app.kubernetes.io/name: {{ include "followthrough.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The service account the pods run as. */}}
{{- define "followthrough.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "followthrough.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding the database URL, broker URL, Airtable token and Google credentials. */}}
{{- define "followthrough.secretName" -}}
{{- default (include "followthrough.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* The image reference; the tag defaults to the chart's appVersion. */}}
{{- define "followthrough.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Pod spec fields shared by every deployment. */}}
{{- define "followthrough.podSpec" -}}
serviceAccountName: {{ include "followthrough.serviceAccountName" . }}
automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir: {}
  - name: google-credentials-secret
    secret:
      secretName: {{ include "followthrough.secretName" . }}
      defaultMode: 0440
      items:
        - key: {{ .Values.secrets.keys.googleCredentials }}
          path: google-credentials.json
  {{- with .Values.secrets.encryptionKeySecret }}
  {{- if .name }}
  # The accounts' encryption key, from a Secret of its own.
  - name: encryption-key
    secret:
      secretName: {{ .name }}
      defaultMode: 0440
      items:
        - key: {{ .key }}
          path: {{ .key }}
  {{- end }}
  {{- end }}
  # The service rewrites the file when it refreshes the access token, which a
  # Secret mount cannot take: each pod works on a copy kept in memory.
  - name: google-credentials
    emptyDir:
      medium: Memory
      sizeLimit: 1Mi
initContainers:
  - name: copy-google-credentials
    image: {{ include "followthrough.image" . }}
    imagePullPolicy: {{ .Values.image.pullPolicy }}
    securityContext:
      {{- toYaml .Values.securityContext | nindent 6 }}
    command:
      - cp
      - {{ printf "%s/google-credentials.json" .Values.secrets.googleCredentialsSecretDir }}
      - {{ printf "%s/google-credentials.json" .Values.secrets.googleCredentialsDir }}
    volumeMounts:
      - name: google-credentials-secret
        mountPath: {{ .Values.secrets.googleCredentialsSecretDir }}
        readOnly: true
      - name: google-credentials
        mountPath: {{ .Values.secrets.googleCredentialsDir }}
    resources:
      requests:
        cpu: 10m
        memory: 16Mi
      limits:
        memory: 64Mi
{{- end }}

{{/* Container fields shared by every deployment: settings from the ConfigMap, secrets, mounts. */}}
{{- define "followthrough.containerCommon" -}}
image: {{ include "followthrough.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
envFrom:
  - configMapRef:
      name: {{ include "followthrough.fullname" . }}
env:
  - name: FOLLOWTHROUGH_DATABASE_URL
    valueFrom:
      secretKeyRef:
        name: {{ include "followthrough.secretName" . }}
        key: {{ .Values.secrets.keys.databaseUrl }}
  - name: FOLLOWTHROUGH_BROKER_URL
    valueFrom:
      secretKeyRef:
        name: {{ include "followthrough.secretName" . }}
        key: {{ .Values.secrets.keys.brokerUrl }}
  - name: FOLLOWTHROUGH_AIRTABLE_TOKEN
    valueFrom:
      secretKeyRef:
        name: {{ include "followthrough.secretName" . }}
        key: {{ .Values.secrets.keys.airtableToken }}
  # Only an amqp:// broker needs it (for the shared Airtable rate limit).
  - name: FOLLOWTHROUGH_REDIS_URL
    valueFrom:
      secretKeyRef:
        name: {{ include "followthrough.secretName" . }}
        key: {{ .Values.secrets.keys.redisUrl }}
        optional: true
  # Only a deployment with accounts beyond the default one needs it.
  {{- if .Values.secrets.encryptionKeySecret.name }}
  - name: FOLLOWTHROUGH_ENCRYPTION_KEY_FILE
    value: {{ printf "%s/%s" .Values.secrets.encryptionKeySecret.mountDir .Values.secrets.encryptionKeySecret.key | quote }}
  {{- else }}
  - name: FOLLOWTHROUGH_ENCRYPTION_KEY
    valueFrom:
      secretKeyRef:
        name: {{ include "followthrough.secretName" . }}
        key: {{ .Values.secrets.keys.encryptionKey }}
        optional: true
  {{- end }}
  {{- with .Values.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  - name: google-credentials
    mountPath: {{ .Values.secrets.googleCredentialsDir }}
  {{- if .Values.secrets.encryptionKeySecret.name }}
  - name: encryption-key
    mountPath: {{ .Values.secrets.encryptionKeySecret.mountDir }}
    readOnly: true
  {{- end }}
{{- end }}
