# shellcheck shell=bash
# Shared helpers for scripts/bootstrap and scripts/stack. Source it; do not run it.
#
# Provides: SHOPMESH_REPO, logging (info/warn/die), timing (now_ms, fmt_ms),
# configuration loading from compose/.env(.example) (load_env), path resolution
# (abs_path) and URL encoding (urlencode).

SHOPMESH_REPO="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)"
SHOPMESH_LOG_PREFIX="${SHOPMESH_LOG_PREFIX:-[shopmesh]}"

info() { printf '%s %s\n' "$SHOPMESH_LOG_PREFIX" "$*"; }
warn() { printf '%s WARNING: %s\n' "$SHOPMESH_LOG_PREFIX" "$*" >&2; }
die()  { printf '%s ERROR: %s\n' "$SHOPMESH_LOG_PREFIX" "$*" >&2; exit 1; }

# Milliseconds since the epoch (bash 5 EPOCHREALTIME, no fork).
now_ms() {
  local t=${EPOCHREALTIME/[.,]/}
  printf '%s' "$((10#${t} / 1000))"
}

# fmt_ms 12345 -> 12.3s
fmt_ms() {
  local ms=$1
  printf '%d.%01ds' "$((ms / 1000))" "$(((ms % 1000) / 100))"
}

# abs_path PATH: absolute path; relative paths are taken relative to the repo root.
abs_path() {
  case $1 in
    /*) printf '%s' "$1" ;;
    '') printf '%s' "$SHOPMESH_REPO" ;;
    *)  printf '%s/%s' "$SHOPMESH_REPO" "${1#./}" ;;
  esac
}

# urlencode STRING: percent-encode everything except RFC 3986 unreserved characters.
urlencode() {
  local s=$1 out='' c i
  local LC_ALL=C
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [A-Za-z0-9.~_-]) out+=$c ;;
      *) printf -v c '%%%02X' "'$c"; out+=$c ;;
    esac
  done
  printf '%s' "$out"
}

# load_env: export the settings of compose/.env (if it exists) and then of
# compose/.env.example, each KEY only when it is not already set: the environment wins, then
# compose/.env, then the defaults of compose/.env.example (so an older compose/.env still gets
# keys added later). A variable set to the empty string counts as set.
# Lines: `KEY=value`, `KEY="value"`, `KEY='value'`, optional `export ` prefix, `#` comment
# lines. Files are parsed, never sourced. SHOPMESH_ENV_FILE names the first file read.
load_env() {
  local file
  SHOPMESH_ENV_FILE=''
  for file in "$SHOPMESH_REPO/compose/.env" "$SHOPMESH_REPO/compose/.env.example"; do
    [[ -f $file ]] || continue
    [[ -n $SHOPMESH_ENV_FILE ]] || SHOPMESH_ENV_FILE=$file
    _load_env_file "$file"
  done
  [[ -n $SHOPMESH_ENV_FILE ]] || warn "neither compose/.env nor compose/.env.example exists"
  export SHOPMESH_ENV_FILE
}

_load_env_file() {
  local file=$1 line key value n=0
  while IFS= read -r line || [[ -n $line ]]; do
    n=$((n + 1))
    line=${line%$'\r'}
    [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
    if [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]]; then
      key=${BASH_REMATCH[2]}
      value=${BASH_REMATCH[3]}
      if [[ $value =~ ^\"(.*)\"[[:space:]]*(#.*)?$ ]]; then
        value=${BASH_REMATCH[1]}
      elif [[ $value =~ ^\'(.*)\'[[:space:]]*(#.*)?$ ]]; then
        value=${BASH_REMATCH[1]}
      else
        value=${value%%[[:space:]]#*}                 # inline " # comment"
        value=${value%"${value##*[![:space:]]}"}       # trailing blanks
      fi
      if [[ -z ${!key+x} ]]; then
        printf -v "$key" '%s' "$value"
      fi
      export "${key?}"
    else
      warn "$file:$n: ignoring a line that is not KEY=VALUE"
    fi
  done <"$file"
}

# is_root: true when running with uid 0.
is_root() { [[ $(id -u) -eq 0 ]]; }
