#!/usr/bin/env bash
# The GitHub Action's step (action.yml): run the published package's `verify --exit-code` with the
# action's inputs, taken from INPUT_* environment variables. Under Actions (GITHUB_ACTIONS=true)
# verify prints failed and missing records as ::error / ::warning annotations.
# MAILSETUP_CMD replaces the npx command line (the repository's tests run the local build with it).
set -euo pipefail

if [[ -n "${MAILSETUP_CMD:-}" ]]; then
  read -r -a cmd <<<"$MAILSETUP_CMD"
else
  cmd=(npx --yes "mailsetup@${INPUT_VERSION:-latest}")
fi

args=(verify --exit-code)
domains="${INPUT_DOMAINS:-all}"
if [[ -z "${domains// /}" || "$domains" == "all" ]]; then
  args+=(--all)
else
  read -r -a list <<<"$domains"
  args+=("${list[@]}")
fi
case "${INPUT_NO_PROVIDER:-false}" in
  true|True|TRUE|yes|1) args+=(--no-provider) ;;
esac
if [[ -n "${INPUT_CONFIG:-}" ]]; then args+=(--config "$INPUT_CONFIG"); fi
if [[ -n "${INPUT_ARGS:-}" ]]; then
  read -r -a extra <<<"$INPUT_ARGS"
  args+=("${extra[@]}")
fi

exec "${cmd[@]}" "${args[@]}"
