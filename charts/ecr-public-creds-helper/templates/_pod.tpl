{{/*
The pod spec both workloads share: restricted Pod Security (non-root, no privilege
escalation, no capabilities, RuntimeDefault seccomp, read-only root), the selection as the
environment variables the CLI reads, and the AWS credentials wiring of aws.auth.
Call with (dict "root" $ "args" (list ...) "controller" bool "component" name).
*/}}
{{- define "ecr-public-creds-helper.podSpec" -}}
{{- $v := .root.Values -}}
{{- $tokenDir := "/var/run/secrets/sts.amazonaws.com/serviceaccount" -}}
{{- $certDir := "/var/run/secrets/roles-anywhere" -}}
{{- $rolesAnywhere := $v.aws.rolesAnywhere -}}
serviceAccountName: {{ include "ecr-public-creds-helper.serviceAccountName" .root }}
{{- with $v.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.podSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.priorityClassName }}
priorityClassName: {{ . | quote }}
{{- end }}
containers:
  - name: ecr-public-creds-helper
    image: {{ include "ecr-public-creds-helper.image" .root | quote }}
    imagePullPolicy: {{ $v.image.pullPolicy }}
    args: {{ toJson .args }}
    env:
      {{- if and $v.namespaces (not $v.allNamespaces) }}
      - name: TARGET_NAMESPACES
        value: {{ join " " $v.namespaces | quote }}
      {{- end }}
      {{- if $v.allNamespaces }}
      - name: ALL_NAMESPACES
        value: "true"
      {{- end }}
      {{- with $v.namespaceSelector }}
      - name: NAMESPACE_SELECTOR
        value: {{ . | quote }}
      {{- end }}
      {{- with $v.exclude }}
      - name: EXCLUDE_NAMESPACES
        value: {{ join " " . | quote }}
      {{- end }}
      - name: SECRET_NAME
        value: {{ $v.secretName | quote }}
      {{- with $v.serviceAccounts }}
      - name: SERVICE_ACCOUNTS
        value: {{ join " " . | quote }}
      {{- end }}
      {{- with $v.ecrRegistries }}
      - name: ECR_REGISTRIES
        value: {{ join " " . | quote }}
      {{- end }}
      {{- if $v.ecrPublicDualStack }}
      - name: ECR_PUBLIC_DUAL_STACK
        value: "true"
      {{- end }}
      - name: REFRESH_BEFORE
        value: {{ $v.refreshBefore | quote }}
      - name: LOG_LEVEL
        value: {{ $v.logLevel | quote }}
      {{- if .controller }}
      # The Lease lives in the pod's own namespace and names its holder by pod.
      - name: POD_NAMESPACE
        valueFrom:
          fieldRef:
            fieldPath: metadata.namespace
      - name: POD_NAME
        valueFrom:
          fieldRef:
            fieldPath: metadata.name
      - name: LEADER_ELECTION_ID
        value: {{ include "ecr-public-creds-helper.leaseName" .root | quote }}
      {{- if $v.prune }}
      - name: PRUNE
        value: "true"
      {{- end }}
      - name: REFRESH_AT
        value: {{ $v.refreshAt | toString | quote }}
      - name: FAIL_SAFE
        value: {{ $v.failSafe.enabled | toString | quote }}
      - name: FAIL_SAFE_MARGIN
        value: {{ $v.failSafe.margin | quote }}
      {{- end }}
      {{- if eq $v.aws.auth "staticKeys" }}
      {{- range list "AWS_ACCESS_KEY_ID" "AWS_SECRET_ACCESS_KEY" }}
      - name: {{ . }}
        valueFrom:
          secretKeyRef:
            name: {{ $v.aws.existingSecret }}
            key: {{ . }}
      {{- end }}
      {{- end }}
      {{- if eq $v.aws.auth "oidcFederation" }}
      - name: AWS_ROLE_ARN
        value: {{ $v.aws.roleArn | quote }}
      - name: AWS_WEB_IDENTITY_TOKEN_FILE
        value: {{ $tokenDir }}/token
      {{- end }}
      {{- if eq $v.aws.auth "rolesAnywhere" }}
      # Paths, not contents: the helper reads both files again at each credential refresh.
      - name: ROLES_ANYWHERE_CERTIFICATE
        value: {{ $certDir }}/tls.crt
      - name: ROLES_ANYWHERE_PRIVATE_KEY
        value: {{ $certDir }}/tls.key
      - name: ROLES_ANYWHERE_TRUST_ANCHOR_ARN
        value: {{ $rolesAnywhere.trustAnchorArn | quote }}
      - name: ROLES_ANYWHERE_PROFILE_ARN
        value: {{ $rolesAnywhere.profileArn | quote }}
      - name: ROLES_ANYWHERE_ROLE_ARN
        value: {{ $v.aws.roleArn | quote }}
      {{- with $rolesAnywhere.sessionDuration }}
      - name: ROLES_ANYWHERE_SESSION_DURATION
        value: {{ . | quote }}
      {{- end }}
      {{- end }}
      {{- with $v.extraEnv }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    {{- if .controller }}
    ports:
      - name: metrics
        containerPort: 8080
      - name: health
        containerPort: 8081
    livenessProbe:
      httpGet:
        path: /healthz
        port: health
      periodSeconds: 20
    readinessProbe:
      httpGet:
        path: /readyz
        port: health
      periodSeconds: 10
    {{- end }}
    resources:
      {{- toYaml $v.resources | nindent 6 }}
    {{- with $v.containerSecurityContext }}
    securityContext:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    volumeMounts:
      - name: tmp
        mountPath: /tmp
      {{- if eq $v.aws.auth "oidcFederation" }}
      - name: aws-web-identity-token
        mountPath: {{ $tokenDir }}
        readOnly: true
      {{- end }}
      {{- if eq $v.aws.auth "rolesAnywhere" }}
      - name: roles-anywhere
        mountPath: {{ $certDir }}
        readOnly: true
      {{- end }}
volumes:
  # The root filesystem is read-only; anything that wants a scratch file gets this.
  - name: tmp
    emptyDir:
      sizeLimit: 16Mi
  {{- if eq $v.aws.auth "oidcFederation" }}
  # The kubelet refreshes this token before it expires; the SDK rereads the file.
  - name: aws-web-identity-token
    projected:
      sources:
        - serviceAccountToken:
            audience: {{ $v.aws.tokenAudience | quote }}
            expirationSeconds: 86400
            path: token
  {{- end }}
  {{- if eq $v.aws.auth "rolesAnywhere" }}
  # The whole Secret, not subPath: the kubelet swaps in a renewed certificate and key
  # together, and the next credential refresh reads them.
  - name: roles-anywhere
    secret:
      secretName: {{ include "ecr-public-creds-helper.rolesAnywhereSecret" .root }}
  {{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- range . }}
  {{- $constraint := deepCopy . }}
  {{- if not (hasKey $constraint "labelSelector") }}
  {{- $_ := set $constraint "labelSelector" (dict "matchLabels" (merge (fromYaml (include "ecr-public-creds-helper.selectorLabels" $.root)) (dict "app.kubernetes.io/component" $.component))) }}
  {{- end }}
  - {{ toYaml $constraint | indent 4 | trim }}
  {{- end }}
{{- end }}
{{- end -}}
