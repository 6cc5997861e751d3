#!/usr/bin/env bash
# Install the sender-side signing libraries used by sign.py and sign.mjs:
#   Python: requirements.txt (standardwebhooks, svix) into $PYTHON (default python3)
#   Node:   package-lock.json (@octokit/webhooks-methods, stripe) into ./node_modules
# Idempotent: re-running is a no-op for pip and a clean reinstall for npm ci.
# Needs only the PyPI and npm registries.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

PYTHON="${PYTHON:-python3}"

# Debian's own python3 is marked externally managed (PEP 668) and refuses a
# plain `pip install`; these are throwaway test tools, so allow it there.
# Older pips ignore the variable; pyenv/venv pythons are unaffected.
export PIP_BREAK_SYSTEM_PACKAGES=1
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_ROOT_USER_ACTION=ignore

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "install.sh: warning: node $(node --version) is older than the packages' engines (>=20)" >&2
fi

"$PYTHON" -m pip install -q -r requirements.txt
npm ci --silent --no-audit --no-fund

py_versions="$("$PYTHON" -c 'import importlib.metadata as m; print(" ".join(f"{p}=={m.version(p)}" for p in ("standardwebhooks", "svix")))')"
js_versions="$(node -p '["@octokit/webhooks-methods","stripe"].map(p=>p+"@"+require("./node_modules/"+p+"/package.json").version).join(" ")')"
echo "tests/signers: installed ${py_versions} (for $("$PYTHON" -c 'import sys; print(sys.executable)')) and ${js_versions} (node_modules)"
