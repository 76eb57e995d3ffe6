#!/usr/bin/env bash
# Deploys pmc-webhook with Docker Compose (the service, MySQL, Redis, MongoDB;
# optionally Nginx in front), then waits until it is healthy.
#
#   deploy/deploy_webhook.sh [-e production|development] [-n] [-f] [-h]
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: deploy/deploy_webhook.sh [-e ENV] [-n] [-f] [-h]
  -e ENV   production (default) or development (text logs, debug level)
  -n       also run Nginx in front (compose profile with-nginx, ports 80/443)
  -f       force a rebuild of the image (no cache)
  -h       this help
Reads .env at the repository root (copy .env.example and fill it in).
USAGE
}

ENVIRONMENT=production
WITH_NGINX=0
FORCE=0
while getopts "e:nfh" option; do
  case "$option" in
    e) ENVIRONMENT=$OPTARG ;;
    n) WITH_NGINX=1 ;;
    f) FORCE=1 ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
case "$ENVIRONMENT" in
  production|development) ;;
  *) echo "error: -e must be production or development, not '$ENVIRONMENT'" >&2; exit 2 ;;
esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
COMPOSE_FILE="$ROOT/deploy/docker/docker-compose.yml"

# Prerequisites.
command -v docker >/dev/null || { echo "error: docker is not installed" >&2; exit 1; }
docker compose version >/dev/null 2>&1 || { echo "error: the docker compose plugin is missing" >&2; exit 1; }
command -v curl >/dev/null || { echo "error: curl is not installed" >&2; exit 1; }
if [ ! -f "$ROOT/.env" ]; then
  echo "error: $ROOT/.env is missing: copy .env.example to .env and fill in the WeCom credentials and passwords" >&2
  exit 1
fi
for required in WECHAT_CORP_ID WECHAT_TOKEN WECHAT_ENCODING_AES_KEY MYSQL_PASSWORD REDIS_PASSWORD; do
  if ! grep -Eq "^${required}=.+" "$ROOT/.env"; then
    echo "error: $required is not set in .env" >&2
    exit 1
  fi
done

compose=(docker compose -f "$COMPOSE_FILE" --env-file "$ROOT/.env")
if [ "$WITH_NGINX" = 1 ]; then
  compose+=(--profile with-nginx)
fi
if [ "$ENVIRONMENT" = development ]; then
  export LOG_FORMAT=text LOG_LEVEL=debug
fi

if [ "$FORCE" = 1 ]; then
  "${compose[@]}" build --no-cache pmc-webhook
fi
"${compose[@]}" up -d --build

PORT=$(grep -E '^PMC_PORT=' "$ROOT/.env" | cut -d= -f2 || true)
URL="http://127.0.0.1:${PORT:-8080}/health"
echo "Waiting for $URL ..."
for _ in $(seq 1 60); do
  if curl -fsS "$URL" >/dev/null 2>&1; then
    echo "pmc-webhook is up ($ENVIRONMENT): $(curl -fsS "$URL")"
    exit 0
  fi
  sleep 2
done
echo "error: pmc-webhook did not become healthy; see: ${compose[*]} logs pmc-webhook" >&2
exit 1
