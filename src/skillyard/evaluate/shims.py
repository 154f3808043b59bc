"""Commands first on a sandboxed trial's PATH that stand in for what an image's build had.

- ``apt-get``/``apt``: ``update`` is a no-op and ``install`` checks the packages against the
  host (exit 100 naming the missing ones), since the sandbox shares the host's system folders.
- ``uvx``: runs the tool from the virtualenv prepared with the same ``--with`` packages
  (``SKILLYARD_UVX_ENV``); the real ``uvx`` would build it from PyPI at run time.
- ``curl``: hands out an offline stand-in for the uv installer script (it only has to put
  ``uvx`` on PATH, which the sandbox already does); every other URL goes to the real curl.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from .offline import UV

APT = r"""#!/bin/bash
# skillyard sandbox: system packages come from the host; apt-get only checks them.
sub=""; pkgs=()
for a in "$@"; do
  case "$a" in -*) ;; *) if [ -z "$sub" ]; then sub="$a"; else pkgs+=("$a"); fi ;; esac
done
case "$sub" in
  update|clean|autoclean|autoremove) echo "skillyard sandbox: apt-get $sub skipped"; exit 0 ;;
  install)
    missing=()
    for p in "${pkgs[@]}"; do
      case "$p" in python3|python3-pip|python3-venv|python3-dev|python-is-python3) continue ;; esac
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
      echo "skillyard sandbox: missing system packages: ${missing[*]}" >&2; exit 100
    fi
    echo "skillyard sandbox: ${pkgs[*]} already on the host"; exit 0 ;;
  *) echo "skillyard sandbox: apt-get $sub is not available" >&2; exit 100 ;;
esac
"""

UVX = r"""#!/bin/bash
# skillyard sandbox: run TOOL from the virtualenv prepared with the same --with packages.
while [ $# -gt 0 ]; do
  case "$1" in
    --with|--from|--python|-p|--index-url|--extra-index-url) shift 2 ;;
    -*) shift ;;
    *) break ;;
  esac
done
if [ -z "$SKILLYARD_UVX_ENV" ] || [ ! -x "$SKILLYARD_UVX_ENV/bin/$1" ]; then
  echo "skillyard sandbox: uvx $1: no tool environment was prepared for it" >&2; exit 127
fi
tool="$1"; shift
exec "$SKILLYARD_UVX_ENV/bin/$tool" "$@"
"""

CURL = r"""#!/bin/bash
# skillyard sandbox: the uv installer is served offline (uvx is already on PATH).
for a in "$@"; do
  case "$a" in
    https://astral.sh/uv/*install.sh)
      printf '%s\n' 'mkdir -p "$HOME/.local/bin"' \
        'printf "%s\n" "export PATH=\"\$HOME/.local/bin:\$PATH\"" > "$HOME/.local/bin/env"' \
        'echo "uv: provided by the skillyard sandbox"'
      exit 0 ;;
  esac
done
exec /usr/bin/curl "$@"
"""

SCRIPTS = {"apt-get": APT, "apt": APT, "uvx": UVX, "curl": CURL, "uv": UV}


def shim_dir(cache: Path) -> Path:
    """The folder holding the shims (written once per content version)."""
    digest = hashlib.sha256("".join(SCRIPTS.values()).encode()).hexdigest()[:12]
    folder = cache / f"shims-{digest}"
    if (folder / "uvx").is_file():
        return folder
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".shims-{digest}-", dir=cache))
    for name, text in SCRIPTS.items():
        (tmp / name).write_text(text, encoding="utf-8")
        (tmp / name).chmod(0o755)
    try:
        tmp.rename(folder)
    except OSError:  # another process or thread won
        shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.joinpath(folder.name).chmod(0o755)
    return folder
