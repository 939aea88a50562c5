# Sourced by scripts/check-api and scripts/check-deploy: Python tools, each pinned, in its own
# virtualenv under ~/.cache (their dependencies clash), installed on first use.
tools=${XDG_CACHE_HOME:-$HOME/.cache}/namaskah-deploy-tools
say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

# python_tool NAME BIN SPEC...: the virtualenv $tools/NAME, with SPEC installed into it unless
# its bin/BIN is there already.
python_tool() {
  local name=$1 bin=$2
  shift 2
  if [ ! -x "$tools/$name/bin/$bin" ]; then
    say "installing $*"
    python3 -m venv "$tools/$name"
    "$tools/$name/bin/pip" install --quiet "$@"
  fi
}
