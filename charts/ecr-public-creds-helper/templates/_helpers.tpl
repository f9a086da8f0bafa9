{{/* Names and labels, in the usual Helm shape. */}}
{{- define "ecr-public-creds-helper.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ecr-public-creds-helper.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "ecr-public-creds-helper.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ecr-public-creds-helper.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
Labels of every object: the chart's own, then commonLabels. Merged as maps, so a commonLabels
key can never repeat (or replace) one of ours, which would make the YAML invalid or break a
selector.
*/}}
{{- define "ecr-public-creds-helper.labels" -}}
{{- include "ecr-public-creds-helper.labelsWith" (dict "root" . "extra" (dict)) -}}
{{- end -}}

{{/* Labels with a component: (dict "root" $ "component" "controller"). */}}
{{- define "ecr-public-creds-helper.componentLabels" -}}
{{- include "ecr-public-creds-helper.labelsWith" (dict "root" .root "extra" (dict "app.kubernetes.io/component" .component)) -}}
{{- end -}}

{{- define "ecr-public-creds-helper.labelsWith" -}}
{{- $root := .root -}}
{{- $ours := fromYaml (include "ecr-public-creds-helper.selectorLabels" $root) -}}
{{- $_ := set $ours "app.kubernetes.io/version" $root.Chart.AppVersion -}}
{{- $_ := set $ours "app.kubernetes.io/managed-by" $root.Release.Service -}}
{{- $_ := set $ours "helm.sh/chart" (printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_") -}}
{{- toYaml (merge $ours .extra (deepCopy $root.Values.commonLabels)) -}}
{{- end -}}

{{/* The pod template's labels: the selector's, then podLabels and commonLabels, which cannot replace them. */}}
{{- define "ecr-public-creds-helper.podLabels" -}}
{{- $ours := fromYaml (include "ecr-public-creds-helper.selectorLabels" .root) -}}
{{- $_ := set $ours "app.kubernetes.io/component" .component -}}
{{- toYaml (merge $ours (deepCopy .root.Values.podLabels) (deepCopy .root.Values.commonLabels)) -}}
{{- end -}}

{{- define "ecr-public-creds-helper.serviceAccountName" -}}
{{- default (include "ecr-public-creds-helper.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* One Lease per release (LEADER_ELECTION_ID), so two releases in a namespace do not share a leader. */}}
{{- define "ecr-public-creds-helper.leaseName" -}}{{ include "ecr-public-creds-helper.fullname" . }}{{- end -}}

{{- define "ecr-public-creds-helper.image" -}}
{{- $v := .Values.image -}}
{{- if $v.digest -}}
{{- printf "%s@%s" $v.repository $v.digest -}}
{{- else -}}
{{- printf "%s:%s" $v.repository (default .Chart.AppVersion $v.tag) -}}
{{- end -}}
{{- end -}}

{{/* The kubernetes.io/tls Secret with the Roles Anywhere certificate and key: the one named, else the Certificate's. */}}
{{- define "ecr-public-creds-helper.rolesAnywhereSecret" -}}
{{- default (printf "%s-roles-anywhere" (include "ecr-public-creds-helper.fullname" .)) .Values.aws.rolesAnywhere.secretName -}}
{{- end -}}

{{/* The region of a Roles Anywhere ARN (arn:PARTITION:rolesanywhere:REGION:ACCOUNT:...). */}}
{{- define "ecr-public-creds-helper.arnRegion" -}}
{{- index (splitList ":" .) 3 -}}
{{- end -}}

{{/* Whether the controller gets a PodDisruptionBudget: podDisruptionBudget.enabled when set, else replicas > 1. */}}
{{- define "ecr-public-creds-helper.pdbEnabled" -}}
{{- $pdb := .Values.podDisruptionBudget -}}
{{- if and (eq .Values.mode "controller") (ternary $pdb.enabled (gt (int .Values.replicas) 1) (kindIs "bool" $pdb.enabled)) -}}true{{- end -}}
{{- end -}}

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
{{- include "ecr-public-creds-helper.validateRolesAnywhere" . -}}
{{- if and (eq .Values.mode "controller") (gt (int .Values.replicas) 1) (not .Values.leaderElect) -}}
{{- fail "replicas > 1 needs leaderElect=true: without a leader every replica writes every secret" -}}
{{- end -}}
{{- $pdb := .Values.podDisruptionBudget -}}
{{- if and (not (kindIs "invalid" $pdb.minAvailable)) (not (kindIs "invalid" $pdb.maxUnavailable)) -}}
{{- fail "podDisruptionBudget: set minAvailable or maxUnavailable, not both" -}}
{{- end -}}
{{- end -}}


{{/* aws.auth=rolesAnywhere: every ARN, a certificate from somewhere, one region, a key size the algorithm has. */}}
{{- define "ecr-public-creds-helper.validateRolesAnywhere" -}}
{{- $ra := .Values.aws.rolesAnywhere -}}
{{- $cert := $ra.certificate -}}
{{- if eq .Values.aws.auth "rolesAnywhere" -}}
{{- if not .Values.aws.roleArn -}}
{{- fail "aws.auth=rolesAnywhere needs aws.roleArn (the IAM role with deploy/base/iam-permission.json, listed in the profile)" -}}
{{- end -}}
{{- if not (and $ra.trustAnchorArn $ra.profileArn) -}}
{{- fail "aws.auth=rolesAnywhere needs aws.rolesAnywhere.trustAnchorArn and aws.rolesAnywhere.profileArn" -}}
{{- end -}}
{{- $anchorRegion := include "ecr-public-creds-helper.arnRegion" $ra.trustAnchorArn -}}
{{- $profileRegion := include "ecr-public-creds-helper.arnRegion" $ra.profileArn -}}
{{- if ne $anchorRegion $profileRegion -}}
{{- fail (printf "aws.rolesAnywhere.profileArn is in %s but the trust anchor in %s: both must be in the region the session is asked for" $profileRegion $anchorRegion) -}}
{{- end -}}
{{- if not (or $ra.secretName $cert.enabled) -}}
{{- fail "aws.auth=rolesAnywhere needs aws.rolesAnywhere.secretName (a kubernetes.io/tls Secret with tls.crt and tls.key) or aws.rolesAnywhere.certificate.enabled=true" -}}
{{- end -}}
{{- else if $cert.enabled -}}
{{- fail "aws.rolesAnywhere.certificate.enabled needs aws.auth=rolesAnywhere: nothing else reads the certificate" -}}
{{- end -}}
{{- if $cert.enabled -}}
{{- if not $cert.issuerRef.name -}}
{{- fail "aws.rolesAnywhere.certificate.enabled needs aws.rolesAnywhere.certificate.issuerRef.name: the issuer whose CA the trust anchor holds" -}}
{{- end -}}
{{- $sizes := ternary (list 256 384) (list 2048 4096) (eq $cert.privateKey.algorithm "ECDSA") -}}
{{- if not (has (int $cert.privateKey.size) $sizes) -}}
{{- fail (printf "aws.rolesAnywhere.certificate.privateKey.size %v does not fit %s: use %s" $cert.privateKey.size $cert.privateKey.algorithm (join " or " $sizes)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
