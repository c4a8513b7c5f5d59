#!/usr/bin/env bash
# Creates (once) the separate venv holding ServiceNow AgentLab 0.4.2, the peer we benchmark against.
# Never installed into this project's venv: `pip install agentlab` fails on Python 3.11, so we
# install a pinned set that works (CPU torch; ~4.5 min, ~2.7 GB). Prints the venv's python path.
#   AGENTLAB_PEER_VENV  where the venv lives (default /tmp/agentlab-peer-venv)
#   AGENTLAB_PEER_LOCK  the pinned requirements (default ../shared/bench/agentlab-0.4.2-py311.lock.txt)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${AGENTLAB_PEER_VENV:-/tmp/agentlab-peer-venv}
lock=${AGENTLAB_PEER_LOCK:-$(cd "$here/../.." && pwd)/../shared/bench/agentlab-0.4.2-py311.lock.txt}
marker=$venv/.agentlab-peer-installed

if [ -f "$marker" ] && cmp -s "$lock" "$marker"; then
  echo "$venv/bin/python"
  exit 0
fi
[ -f "$lock" ] || { echo "setup_agentlab.sh: lock file not found: $lock (set AGENTLAB_PEER_LOCK)" >&2; exit 2; }
echo "setup_agentlab.sh: installing ServiceNow AgentLab 0.4.2 into $venv (~4.5 min, ~2.7 GB)" >&2
rm -f "$marker"
${PYTHON:-python3} -m venv "$venv"
log=$venv/install.log  # pip's output (this machine's pip config adds many harmless warnings)
if ! "$venv/bin/pip" install -r "$lock" >"$log" 2>&1; then
  tail -20 "$log" >&2
  echo "setup_agentlab.sh: pip install failed, full log: $log" >&2
  exit 1
fi
cp "$lock" "$marker"  # marks a complete install of exactly this lock
echo "$venv/bin/python"
