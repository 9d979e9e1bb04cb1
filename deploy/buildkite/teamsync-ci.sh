#!/usr/bin/env bash
# teamsync-ci.sh plan|apply PLAN_JOB_ID — the plan and apply steps of
# deploy/buildkite/pipeline.yml (see docs/ci.md).
#
# plan:  plans with --out, uploads the saved plan as an artifact, annotates
#        the build with it (an error annotation, with the error, when the
#        plan fails) and, only when changes are pending, uploads a block step
#        and an apply step for this plan. ALLOW_REMOVALS, when set, is passed
#        as --allow-removals (a re-plan asked for at the block).
# apply: if the block's "allow removals" field was filled in, plans again
#        with it and asks again; otherwise applies the saved plan of
#        PLAN_JOB_ID, exactly, and annotates the outcome.
set -uo pipefail

plan() {
  local allow=()
  if [ -n "${ALLOW_REMOVALS:-}" ]; then
    allow=(--allow-removals "$ALLOW_REMOVALS")
  fi
  teamsync plan --format markdown --detailed-exitcode --out plan.json "${allow[@]}" >plan.md 2>plan.err
  local code=$?
  cat plan.err >&2
  if [ "$code" -eq 1 ]; then
    {
      echo "### teamsync plan failed"
      echo
      cat plan.md
      echo
      echo '```'
      tail -n 20 plan.err
      echo '```'
    } | buildkite-agent annotate --context teamsync-plan --style error
    exit 1
  fi
  local style=success
  [ "$code" -eq 2 ] && style=info
  buildkite-agent annotate --context teamsync-plan --style "$style" <plan.md
  [ "$code" -eq 2 ] || exit 0 # nothing pending: no block, no apply

  buildkite-agent artifact upload plan.json
  local job="$BUILDKITE_JOB_ID"
  # The job ID goes into the uploaded YAML and a command line.
  case "$job" in
    "" | *[!A-Za-z0-9-]*) echo "BUILDKITE_JOB_ID '$job' is not a job ID" >&2; exit 1 ;;
  esac
  buildkite-agent pipeline upload <<YAML
steps:
  - block: ":rocket: apply the plan in the annotation?"
    key: "approve-${job}"
    fields:
      - text: "Allow removals (optional)"
        key: "allow-removals-${job}"
        required: false
        hint: "Leave empty to apply the plan as shown. A number re-plans with --allow-removals N and asks again."
  - label: ":rocket: apply"
    depends_on: "approve-${job}"
    concurrency: 1
    concurrency_group: teamsync-apply
    command: .buildkite/teamsync-ci.sh apply ${job}
    # 3 = guards held changes back at plan time; the rest was applied.
    soft_fail:
      - exit_status: 3
YAML
}

apply() {
  local job="$1"
  case "$job" in
    "" | *[!A-Za-z0-9-]*) echo "'$job' is not a job ID" >&2; exit 1 ;;
  esac
  local allow
  allow=$(buildkite-agent meta-data get "allow-removals-${job}" --default "")
  if [ -n "$allow" ]; then
    case "$allow" in
      *[!0-9]*) echo "allow removals: '$allow' is not a number" >&2; exit 1 ;;
    esac
    ALLOW_REMOVALS="$allow" plan
    return
  fi
  buildkite-agent artifact download plan.json . --step "$job" || exit 1
  teamsync apply plan.json --format markdown >apply.md
  local code=$?
  cat apply.md
  local style=success
  [ "$code" -eq 0 ] || style=warning
  [ "$code" -eq 1 ] && style=error
  buildkite-agent annotate --context teamsync-apply --style "$style" <apply.md
  exit "$code"
}

case "${1:-}" in
  plan) plan ;;
  apply) apply "${2:?apply needs the job ID of the plan step}" ;;
  *) echo "usage: $0 plan | apply PLAN_JOB_ID" >&2; exit 2 ;;
esac
