#!/bin/bash
# make demo: vfpt on the example config against the bundled fixture host.
set -eu
B=${1:-build}
cd "$(dirname "$0")/.."
. tests/fixture/host.sh
. tests/fixture/demo-host.sh
tmp=$(mktemp -d /tmp/vfpt-demo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
demo_host "$tmp/host"
echo "== vfpt --config examples/vfpt.conf check-config"
"$B/vfpt" --config examples/vfpt.conf check-config
echo
echo "== vfpt plan   (fixture host: SR-IOV NVMe PF 0000:01:00.0, NVMe 0000:02:00.0 on nvme)"
fx_run "$B/vfpt" plan
echo
echo "== vfpt status"
fx_run "$B/vfpt" status || true
