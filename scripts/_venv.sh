# Sourced by scripts/test and scripts/demo: creates .venv at the repository root
# and installs Followthrough into it, skipping pip when pyproject.toml has not
# changed since the last install of the same extras.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# Prints the first Python 3.11+ among $PYTHON, python3, python3.13, python3.12, python3.11.
find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
    [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

create_venv() {
  local python
  if ! python="$(find_python)"; then
    local found="not installed"
    command -v python3 >/dev/null 2>&1 && found="$(python3 --version 2>&1 || true)"
    echo "error: Followthrough needs Python 3.11 or newer, and python3 is ${found}." \
      "Install Python 3.11+ or point PYTHON at one (PYTHON=/usr/bin/python3.11 $0)." >&2
    exit 2
  fi
  echo "Creating .venv with $("$python" --version 2>&1)..." >&2
  "$python" -m venv "$VENV"
}

# The stamp for one install target ("dev" or "base") holds the pyproject.toml hash it was installed from.
stamp_file() { echo "$VENV/.followthrough-installed-$1"; }

stamp_is_current() {
  [ -f "$(stamp_file "$1")" ] && [ "$(cat "$(stamp_file "$1")")" = "$PYPROJECT_HASH" ]
}

# ensure_venv dev|base: a .venv holding Followthrough with the dev extras, or without extras.
ensure_venv() {
  local target="$1" spec="."
  [ "$target" = dev ] && spec=".[dev]"
  [ -x "$VENV/bin/python" ] || create_venv
  if ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "error: $VENV runs $("$VENV/bin/python" --version 2>&1); Followthrough needs 3.11+." \
      "Delete .venv and run this again." >&2
    exit 2
  fi
  PYPROJECT_HASH="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
  # The dev install is a superset of the base one.
  if stamp_is_current "$target" || stamp_is_current dev; then
    return 0
  fi
  echo "Installing Followthrough ($spec) into .venv..." >&2
  if ! (cd "$ROOT" && "$VENV/bin/python" -m pip install --quiet --quiet -e "$spec"); then
    echo "error: installing Followthrough into .venv failed (see pip's output above)." >&2
    exit 3
  fi
  echo "$PYPROJECT_HASH" >"$(stamp_file "$target")"
}
