#!/usr/bin/env bash
# Install sso-credential-process.
#
#   ./install.sh          installs into ~/.local/share/sso-credential-process/venv and
#                         links the command into ~/.local/bin
#   ./install.sh --dev    creates ./.venv with the package (editable) and the test tools,
#                         and installs the AWS SDK for JavaScript into tests/js with npm
#
# PYTHON selects the interpreter (default: python3). Nothing outside the package
# registries is downloaded.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
mode=user
case "${1:-}" in
  --dev) mode=dev ;;
  "") ;;
  -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
  *) echo "install.sh: unknown option $1 (use --dev or no option)" >&2; exit 2 ;;
esac

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
  echo "install.sh: $python is missing or older than Python 3.9; set PYTHON=/path/to/python3" >&2
  exit 2
fi

if [ "$mode" = dev ]; then
  venv="$here/.venv"
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -e "$here[test]"
  # The AWS SDK for JavaScript, which the consumer tests run the tool through.
  if command -v npm >/dev/null 2>&1; then
    (cd "$here/tests/js" && npm ci --no-audit --no-fund --loglevel=error)
  else
    echo "npm not found: the AWS SDK for JavaScript tests will be skipped"
  fi
  echo "Development environment ready: $venv"
  echo "Run the tests with: .venv/bin/python -m pytest"
  exit 0
fi

prefix=${SSO_CREDENTIAL_PROCESS_PREFIX:-$HOME/.local/share/sso-credential-process}
bin_dir=${SSO_CREDENTIAL_PROCESS_BIN:-$HOME/.local/bin}
venv="$prefix/venv"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "$here"
mkdir -p "$bin_dir"
ln -sf "$venv/bin/sso-credential-process" "$bin_dir/sso-credential-process"
echo "Installed: $venv/bin/sso-credential-process"
echo "Linked:    $bin_dir/sso-credential-process"
case ":$PATH:" in
  *":$bin_dir:"*) ;;
  *) echo "Add $bin_dir to PATH. In credential_process, write the absolute path $bin_dir/sso-credential-process." ;;
esac
