#!/usr/bin/env bash
# Every GPU check in one command (<= 8 min on one H100/H200); one JSON, non-zero exit on any failure.
#   bash scripts/benchmarks/gpu_check.sh [--out gpu_check.json] [--steps 300]
#   bash scripts/benchmarks/gpu_check.sh --dry-run      # the same checks on CPU at toy sizes (tests run this)
set -euo pipefail
cd "$(dirname "$0")/../.."
exec "${PYTHON:-python}" scripts/benchmarks/gpu_check.py "$@"
