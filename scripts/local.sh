#!/usr/bin/env bash
# The local stack end to end, with nothing but Node and the Pulumi CLI (no AWS, no cluster):
#   npm run local -- up          log in to a file backend in .pulumi-local/, create the `local` stack,
#                                set its dummy secrets, `pulumi up` (manifests go to rendered/local/)
#   npm run local -- promote     make the idle color live, then `pulumi up`: one resource changes
#   npm run local -- rollback    make the previous color live again, then `pulumi up`
#   npm run local -- preview|destroy|status
set -euo pipefail
cd "$(dirname "$0")/.."

command -v pulumi >/dev/null || { echo "local: the pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/install/)" >&2; exit 1; }

# BLUEGREEN_LOCAL_STATE moves the state (the tests use a temp folder).
state_dir="${BLUEGREEN_LOCAL_STATE:-$PWD/.pulumi-local}"
export PULUMI_BACKEND_URL="file://$state_dir"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-local}"
export PULUMI_SKIP_UPDATE_CHECK=true
mkdir -p "$state_dir"

action="${1:-up}"
stack=local

ensure_stack() {
  pulumi stack select "$stack" --create --non-interactive >/dev/null
  # Dummy secrets: the local stack renders Secrets but connects to nothing.
  for pair in "databaseUrl=postgres://web:local-only@localhost:5432/web" "sessionSecret=local-only-session-secret"; do
    key="${pair%%=*}"
    pulumi config get "$key" -s "$stack" >/dev/null 2>&1 || pulumi config set --secret "$key" "${pair#*=}" -s "$stack" --non-interactive
  done
}

build_release_cli() { npx tsc -p release/tsconfig.json; }

case "$action" in
  up|preview)
    ensure_stack
    if [ "$action" = up ]; then pulumi up --yes --skip-preview -s "$stack"; else pulumi preview --diff -s "$stack"; fi
    echo "local: manifests in rendered/local/ (Secrets are base64 there, not encrypted; the folder is git-ignored)"
    ;;
  promote|rollback)
    ensure_stack
    build_release_cli
    node dist/release/cli.js "$action" --stack "$stack"
    pulumi up --yes --diff -s "$stack"
    ;;
  status)
    build_release_cli
    node dist/release/cli.js status --stack "$stack"
    ;;
  destroy)
    ensure_stack
    pulumi destroy --yes -s "$stack"
    ;;
  *)
    echo "local: \`$action\` is not a command; use up, preview, promote, rollback, status or destroy" >&2
    exit 2
    ;;
esac
