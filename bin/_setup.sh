# Sourced by bin/run and bin/test: install what LxL ID needs on a fresh Debian or Ubuntu
# machine that has only python3. System packages come from apt-get, as root or through sudo.

APT_LISTS_FRESH=""

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# A fresh machine has empty or stale package lists: update them, once per command.
refresh_apt_lists() {
  if ! command -v apt-get >/dev/null; then
    echo "LxL ID installs its system packages with apt-get (Debian, Ubuntu); install them" \
         "by hand here: python3-venv, and for bin/test chromium, chromedriver, nodejs, npm." >&2
    exit 1
  fi
  [ -n "$APT_LISTS_FRESH" ] && return 0
  as_root apt-get update -qq
  APT_LISTS_FRESH=1
}

# True when apt-get can install the package.
apt_has() {
  local policy
  refresh_apt_lists
  # Read whole, not piped to grep -q: under pipefail, apt-cache killed by SIGPIPE fails it.
  policy=$(apt-cache policy "$1" 2>/dev/null)
  [[ $policy == *"Candidate: "[!\(]* ]]
}

# Install packages with apt-get; options such as --no-install-recommends pass on.
apt_install() {
  local argument packages=()
  for argument; do [[ $argument == -* ]] || packages+=("$argument"); done
  refresh_apt_lists
  echo "Installing ${packages[*]} (apt-get)." >&2
  # env: sudo drops the caller's environment, DEBIAN_FRONTEND included.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Create .venv with the given requirements file once, and again whenever that file changes;
# then put it first on PATH.
ensure_venv() {
  local requirements="$1" stamp=".venv/.installed-$1"
  if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "LxL ID needs Python 3.11 or newer as python3." >&2
    exit 1
  fi
  if [ ! -x .venv/bin/pip ]; then
    # Debian and Ubuntu ship venv's pip bootstrap (ensurepip) apart from python3.
    python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
    rm -rf .venv  # what a venv attempt without ensurepip leaves: a python and no pip
    python3 -m venv .venv
  fi
  if [ ! -f "$stamp" ] || [ "$requirements" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
    .venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
    touch "$stamp"
  fi
  export PATH="$PWD/.venv/bin:$PATH" VIRTUAL_ENV="$PWD/.venv"
}
