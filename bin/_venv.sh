# Sourced by bin/run and bin/test: create .venv with the given requirements file once, and
# again whenever that file changes; then put it first on PATH.
ensure_venv() {
  local requirements="$1" stamp=".venv/.installed-$1"
  if ! command -v python3 >/dev/null; then
    echo "LxL ID needs Python 3.11 or newer (python3)." >&2; exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv || {
      echo "Could not create a virtualenv: on Debian/Ubuntu run 'apt-get install python3-venv'." >&2
      exit 1; }
  fi
  if [ ! -f "$stamp" ] || [ "$requirements" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
    .venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
    touch "$stamp"
  fi
  export PATH="$PWD/.venv/bin:$PATH" VIRTUAL_ENV="$PWD/.venv"
}
