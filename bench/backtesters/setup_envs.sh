#!/usr/bin/env bash
# Bench-only virtual environments for the backtester speed race (never runtime dependencies).
#
#   bash bench/backtesters/setup_envs.sh            # all tools
#   bash bench/backtesters/setup_envs.sh vectorbt   # one tool
#
# Idempotent: an environment whose stamp matches its pinned requirements is left alone.
# Environments live in bench/.venvs/<tool> (git-ignored).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENVS="$ROOT/bench/.venvs"
PY="${PY:-python3}"

# Pinned versions: change here, the stamp makes the next run reinstall.
declare -A REQS=(
  [backtrader]="backtrader==1.9.78.123 numpy==1.26.4"
  [backtesting]="backtesting==0.6.6 numpy==1.26.4 pandas==2.2.3 bokeh==3.6.3"
  [vectorbt]="vectorbt==1.2.0 numpy==2.4.6 pandas==3.1.1 numba==0.68.1 plotly==7.1.0"
  [nautilus]="nautilus_trader==1.221.0 numpy==2.2.6 pandas==2.2.3"
)
ORDER=(backtrader backtesting vectorbt nautilus)

tools=("$@")
[[ ${#tools[@]} -eq 0 ]] && tools=("${ORDER[@]}")

mkdir -p "$VENVS"
for tool in "${tools[@]}"; do
  reqs="${REQS[$tool]:-}"
  if [[ -z "$reqs" ]]; then
    echo "unknown tool '$tool' (known: ${ORDER[*]})" >&2
    exit 2
  fi
  env="$VENVS/$tool"
  stamp="$env/.bench-reqs"
  if [[ -x "$env/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$reqs" ]]; then
    echo "$tool: up to date ($reqs)"
    continue
  fi
  echo "$tool: installing $reqs"
  [[ -x "$env/bin/python" ]] || "$PY" -m venv "$env"
  # shellcheck disable=SC2086
  "$env/bin/python" -m pip install --quiet $reqs
  echo "$reqs" >"$stamp"
done
