{{/*
Monitoring objects (metrics.*): the same as deploy/monitoring, which
test/packaging/monitoring.test.ts holds them to.
*/}}

{{/* Labels of a monitoring object: the chart's own and component monitoring, then .extra (a value's labels), then commonLabels. */}}
{{- define "ecr-public-creds-helper.monitoringLabels" -}}
{{- $extra := merge (dict "app.kubernetes.io/component" "monitoring") (deepCopy (default (dict) .extra)) -}}
{{- include "ecr-public-creds-helper.labelsWith" (dict "root" .root "extra" $extra) -}}
{{- end -}}

{{/* Fails unless the controller runs: the CronJob serves no /metrics. (dict "root" $ "value" "metrics.x.enabled") */}}
{{- define "ecr-public-creds-helper.monitoringNeedsController" -}}
{{- if ne .root.Values.mode "controller" -}}
{{- fail (printf "%s needs mode=controller: only the controller serves /metrics" .value) -}}
{{- end -}}
{{- end -}}
