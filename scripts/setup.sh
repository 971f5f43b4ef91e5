#!/usr/bin/env bash
# Installs everything bulkdaq needs on a Debian machine; safe to run again.
# Debian packages: influxdb (the store, tests start their own influxd), postgresql (the customs office's
# registry, tests and the demo start their own cluster; the package also starts a system cluster on 5432,
# which bulkdaq leaves alone), mbpoll (independent Modbus master used by the tests), socat (virtual serial
# ports). Python: a virtual environment in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v influxd >/dev/null 2>&1 || need+=(influxdb)
# Debian keeps PostgreSQL's programs off PATH, in /usr/lib/postgresql/<major>/bin
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
command -v mbpoll  >/dev/null 2>&1 || need+=(mbpoll)
command -v socat   >/dev/null 2>&1 || need+=(socat)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing Debian packages: ${need[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    "$python" -m venv .venv
fi
stamp=.venv/.bulkdaq-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "setup: installing Python packages into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[test]"
    touch "$stamp"
fi
