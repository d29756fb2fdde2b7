#!/usr/bin/env bash
# The one test command: formatting, lints and every test of the workspace.
#
# Installs what the tests need when it is missing (the AWS CLI and boto3, used by the smoke
# tests; iproute2 for the network-namespace tests), then runs `cargo fmt --check`,
# `cargo clippy -D warnings` and `cargo test`. Exits non-zero as soon as one step fails.
set -euo pipefail

cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# --- test dependencies (idempotent, quiet) ---------------------------------------------------
# `pip install --user` puts the `aws` command here.
export PATH="$HOME/.local/bin:$PATH"
python_has() { python3 -c "import $1" >/dev/null 2>&1; }
pip_install() {
  python3 -m pip --version >/dev/null 2>&1 || python3 -m ensurepip --upgrade >/dev/null 2>&1 || true
  local pip=(python3 -m pip install --quiet --disable-pip-version-check)
  "${pip[@]}" "$@" 2>/dev/null ||
    "${pip[@]}" --user "$@" 2>/dev/null ||
    "${pip[@]}" --user --break-system-packages "$@"
}
# A fresh Debian machine may have no Python at all: take it from Debian's packages.
if ! command -v python3 >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  step "installing python3 and pip (apt-get)"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq python3 python3-pip python3-venv >/dev/null
fi
# The perimeter tests put their callers in network namespaces (`ip netns`); without iproute2
# they fall back to loopback listeners, so install it where we can.
if ! command -v ip >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  step "installing iproute2 (apt-get)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null ||
    echo "warning: cannot install iproute2; the perimeter tests will run over loopback" >&2
fi
if command -v python3 >/dev/null 2>&1; then
  missing=()
  command -v aws >/dev/null 2>&1 || missing+=(awscli)
  python_has boto3 || missing+=(boto3)
  if ((${#missing[@]})); then
    step "installing ${missing[*]}"
    pip_install "${missing[@]}"
  fi
else
  echo "error: python3 is required (the boto3 and AWS CLI smoke tests use it)" >&2
  exit 1
fi

# --- checks ----------------------------------------------------------------------------------
step "cargo fmt --all --check"
cargo fmt --all --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test --workspace --all-targets"
cargo test --workspace --all-targets

step "all checks passed"
