#!/usr/bin/env bash
# Validates the deploy kit without a Docker engine or a cluster:
#   compose files (docker compose config), the Dockerfile (hadolint), the
#   Nginx config (nginx -t, service names mapped to loopback), every shell
#   script (shellcheck), Prometheus config and alert rules (promtool), the
#   Kubernetes manifests (kubernetes-validate --strict, offline schemas), the
#   Grafana dashboard (JSON), and that the ConfigMap matches the YAML config.
# Not validated here: building and running the image, applying the manifests.
#
#   deploy/validate.sh [TOOLS_BIN]          (tests/tools/install.sh prints TOOLS_BIN)
#   deploy/validate.sh --regenerate-configmap
set -euo pipefail
cd "$(dirname "$0")/.."

configmap() {
  printf '# config/notification.yaml as a ConfigMap (regenerate: deploy/k8s/README.md).\n'
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pmc-webhook\ndata:\n  notification.yaml: |\n'
  sed -e 's/^\(..*\)$/    \1/' config/notification.yaml
}
if [ "${1:-}" = --regenerate-configmap ]; then
  configmap > deploy/k8s/configmap.yaml
  exit 0
fi
BIN=${1:-$(tests/tools/install.sh)}
failed=0
check() {  # name command...
  local name=$1; shift
  if output=$("$@" 2>&1); then
    echo "ok   $name"
  else
    echo "FAIL $name"; while IFS= read -r line; do echo "     $line"; done <<<"$output"; failed=1
  fi
}

env_file=$(mktemp)
trap 'rm -f "$env_file"' EXIT
printf 'MYSQL_PASSWORD=validate\nREDIS_PASSWORD=validate\n' > "$env_file"
for profile in "" with-nginx; do
  check "compose config ${profile:-default}" \
    "$BIN/docker-compose" -f deploy/docker/docker-compose.yml --env-file "$env_file" ${profile:+--profile "$profile"} config -q
done
check "hadolint Dockerfile" "$BIN/hadolint" --failure-threshold warning deploy/docker/Dockerfile

# The upstream is the compose service name: resolve it to loopback in a
# private mount namespace, so nginx -t can check everything else.
hosts=$(mktemp)
printf '127.0.0.1 localhost\n127.0.0.1 pmc-webhook\n' > "$hosts"
check "nginx -t" unshare -m sh -c "mount --bind '$hosts' /etc/hosts && nginx -q -t -c '$PWD/deploy/nginx/nginx.conf'"
rm -f "$hosts"

mapfile -t scripts < <(git ls-files '*.sh' .ci/run 2>/dev/null || find . -name '*.sh' -not -path './target/*')
check "shellcheck (${#scripts[@]} scripts)" shellcheck -x "${scripts[@]}"

check "promtool check config" promtool check config deploy/prometheus/prometheus.yml
check "promtool check rules" promtool check rules deploy/prometheus/alerts.yml
check "kubernetes-validate --strict" "$BIN/kubernetes-validate" --strict --quiet \
  deploy/k8s/statefulset.yaml deploy/k8s/service.yaml deploy/k8s/pdb.yaml deploy/k8s/configmap.yaml \
  deploy/k8s/secret.example.yaml
check "grafana dashboard is JSON" python3 -m json.tool deploy/grafana/pmc-webhook.json
check "ConfigMap matches config/notification.yaml" diff <(configmap) deploy/k8s/configmap.yaml
exit "$failed"
