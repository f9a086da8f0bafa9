{{/* Names and labels, in the usual Helm shape. */}}
{{- define "ecr-public-creds-helper.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ecr-public-creds-helper.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ecr-public-creds-helper.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ecr-public-creds-helper.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ecr-public-creds-helper.labels" -}}
{{ include "ecr-public-creds-helper.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "ecr-public-creds-helper.serviceAccountName" -}}
{{- default (include "ecr-public-creds-helper.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* One Lease per release (LEADER_ELECTION_ID), so two releases in a namespace do not share a leader. */}}
{{- define "ecr-public-creds-helper.leaseName" -}}{{ include "ecr-public-creds-helper.fullname" . }}{{- end -}}

{{/* Values the schema cannot check alone; one clear line each, at install time. */}}
{{- define "ecr-public-creds-helper.validate" -}}
{{- if not (or .Values.namespaces .Values.allNamespaces .Values.namespaceSelector) -}}
{{- fail "select namespaces: set namespaces, allNamespaces=true or namespaceSelector" -}}
{{- end -}}
{{- if and (has .Values.aws.auth (list "irsa" "oidcFederation")) (not .Values.aws.roleArn) -}}
{{- fail (printf "aws.auth=%s needs aws.roleArn (the IAM role with deploy/base/iam-permission.json)" .Values.aws.auth) -}}
{{- end -}}
{{- if and (eq .Values.aws.auth "staticKeys") (not .Values.aws.existingSecret) -}}
{{- fail "aws.auth=staticKeys needs aws.existingSecret: a Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" -}}
{{- end -}}
{{- end -}}
