#!/usr/bin/env bash
# Logical backup of the marketgate PostgreSQL database (see docs/operations.md).
#
#   scripts/backup.sh [DATABASE_URL]
#
# Environment:
#   DATABASE_URL       the database to back up (the first argument wins over it)
#   BACKUP_DIR         where backups go (default ./backups, created if missing)
#   BACKUP_KEEP        how many backups of this database to keep (default 30)
#   BACKUP_NAME        file name prefix (default: the database name from the URL)
#   BACKUP_UPLOAD_CMD  optional shell command run as `$BACKUP_UPLOAD_CMD <file>` after
#                      the backup is verified, e.g. "/usr/local/bin/ship-backup";
#                      it does not see DATABASE_URL or PGPASSWORD
#   BACKUP_VERIFY      "full" (default): `pg_restore --list` and a complete read of
#                      every data block; "list": `pg_restore --list` only
#   PGCONNECT_TIMEOUT  seconds to wait for the server (default 10 here)
#
# Writes <BACKUP_DIR>/<name>-<YYYYMMDDTHHMMSS.mmm>Z.dump (pg_dump custom format)
# through a hidden temporary file renamed into place only once verified, prints
# its path on stdout (nothing else goes to stdout), then deletes all but the
# newest BACKUP_KEEP files of that name. Passwords are never printed.
#
# Exit codes:
#   0  backup written, verified, uploaded (if configured) and old ones pruned
#   1  unexpected failure (e.g. BACKUP_DIR not writable)
#   2  usage or configuration error (no URL, bad BACKUP_KEEP, missing pg_dump)
#   3  pg_dump failed (cannot connect, no such database, permission denied ...)
#   4  the dump did not verify (pg_restore could not read it); nothing was kept
#   5  BACKUP_UPLOAD_CMD failed; the verified backup was kept, nothing was pruned
set -euo pipefail
umask 077

prog=${0##*/}

usage() {
  cat >&2 <<EOF
Usage: $prog [DATABASE_URL]

Dumps DATABASE_URL (the argument, or the DATABASE_URL variable) with pg_dump -Fc
into BACKUP_DIR (default ./backups), verifies it, optionally runs BACKUP_UPLOAD_CMD
with the file as its argument, and keeps the newest BACKUP_KEEP (default 30).
Exit codes: 0 ok, 1 unexpected, 2 usage, 3 dump failed, 4 verify failed, 5 upload failed.
EOF
}

# --- secrets: never print them ------------------------------------------------

secret_raw=""
secret_plain=""

# Redacts the password of postgres:// URLs, password=... settings and the known
# password itself (as written in the URL and decoded) from stdin.
redact() {
  local line
  while IFS= read -r line || [[ -n $line ]]; do
    [[ -n $secret_raw ]] && line=${line//"$secret_raw"/***}
    [[ -n $secret_plain ]] && line=${line//"$secret_plain"/***}
    printf '%s\n' "$line"
  done | sed -E 's|(://[^:/?#@[:space:]]*):[^@/[:space:]]*@|\1:***@|g; s|([Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd][[:space:]]*=[[:space:]]*)[^[:space:]&]+|\1***|g'
}

log() { printf '%s: %s\n' "$prog" "$*" | redact >&2; }
die() {
  local code=$1
  shift
  log "error: $*"
  exit "$code"
}

# %XX → byte, as libpq decodes URI components.
percent_decode() {
  local s=${1//\\/\\\\}
  printf '%b' "${s//%/\\x}"
}

# --- arguments ------------------------------------------------------------------

case ${1:-} in
  -h | --help)
    usage
    exit 0
    ;;
  -*)
    usage
    exit 2
    ;;
esac
[[ $# -le 1 ]] || {
  usage
  exit 2
}

url=${1:-${DATABASE_URL:-}}
if [[ -z $url ]]; then
  usage
  log "error: no database given: pass DATABASE_URL as the argument or set it"
  exit 2
fi

backup_dir=${BACKUP_DIR:-./backups}
keep=${BACKUP_KEEP:-30}
verify=${BACKUP_VERIFY:-full}
[[ $keep =~ ^[0-9]+$ && $keep -ge 1 ]] || die 2 "BACKUP_KEEP must be a whole number >= 1 (got '$keep')"
[[ $verify == full || $verify == list ]] || die 2 "BACKUP_VERIFY must be 'full' or 'list' (got '$verify')"
command -v pg_dump >/dev/null || die 2 "pg_dump not found on PATH"
command -v pg_restore >/dev/null || die 2 "pg_restore not found on PATH"

# A postgres:// URL: take the password out of it and hand it to libpq through
# PGPASSWORD, so it is neither on the command line (visible in ps) nor in any
# message libpq prints about the URL.
db_name=""
conn=$url
if [[ $url =~ ^(postgres(ql)?://)([^/?#]*)(.*)$ ]]; then
  scheme=${BASH_REMATCH[1]}
  authority=${BASH_REMATCH[3]}
  rest=${BASH_REMATCH[4]}
  if [[ $authority == *@* ]]; then
    userinfo=${authority%%@*}
    hostport=${authority#*@}
    if [[ $userinfo == *:* ]]; then
      secret_raw=${userinfo#*:}
      secret_plain=$(percent_decode "$secret_raw")
      export PGPASSWORD=$secret_plain
      conn="${scheme}${userinfo%%:*}@${hostport}${rest}"
    fi
  fi
  if [[ $rest =~ ^/([^?#]+) ]]; then
    db_name=$(percent_decode "${BASH_REMATCH[1]}")
  fi
  if [[ $rest =~ [?\&]password=([^\&#]*) ]]; then
    secret_raw=${secret_raw:-${BASH_REMATCH[1]}}
    secret_plain=${secret_plain:-$(percent_decode "${BASH_REMATCH[1]}")}
  fi
elif [[ $url =~ (^|[[:space:]])dbname[[:space:]]*=[[:space:]]*([^[:space:]]+) ]]; then
  db_name=${BASH_REMATCH[2]}
fi
name=${BACKUP_NAME:-${db_name:-${PGDATABASE:-postgres}}}
name=${name//[^A-Za-z0-9_.-]/_}
[[ $name =~ ^[A-Za-z0-9_] ]] || name="db$name"

export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-10}
export PGAPPNAME=${PGAPPNAME:-marketgate-backup}

# --- dump ------------------------------------------------------------------------

mkdir -p -- "$backup_dir" || die 1 "cannot create BACKUP_DIR $backup_dir"
[[ -w $backup_dir ]] || die 1 "BACKUP_DIR $backup_dir is not writable"

# Milliseconds keep names unique and in time order when runs follow each other.
stamp=$(date -u +%Y%m%dT%H%M%S.%3NZ)
[[ $stamp =~ ^[0-9]{8}T[0-9]{6}\.[0-9]{3}Z$ ]] || stamp="$(date -u +%Y%m%dT%H%M%S).000Z"
final="$backup_dir/$name-$stamp.dump"
[[ ! -e $final ]] || die 1 "$final already exists"

# Leftovers of runs killed with SIGKILL (a normal failure removes its own).
find "$backup_dir" -maxdepth 1 -type f -name ".$name.partial.*" -mmin +1440 -delete 2>/dev/null || true

tmp=$(mktemp "$backup_dir/.$name.partial.XXXXXX") || die 1 "cannot create a file in $backup_dir"
errors=$(mktemp "${TMPDIR:-/tmp}/$prog.XXXXXX")
cleanup() {
  rm -f -- "$tmp" "$errors"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

shown=$(printf '%s' "$url" | redact)
log "dumping $shown to $final"
started=$SECONDS
if ! pg_dump --format=custom --no-password --file="$tmp" --dbname="$conn" 2>"$errors"; then
  redact <"$errors" >&2
  die 3 "pg_dump of $shown failed; no backup was written"
fi
redact <"$errors" >&2

# --- verify ----------------------------------------------------------------------

if ! toc=$(pg_restore --list "$tmp" 2>"$errors"); then
  redact <"$errors" >&2
  die 4 "the dump does not verify (pg_restore --list failed); nothing was kept"
fi
if [[ $verify == full ]] && ! pg_restore --file=/dev/null "$tmp" 2>"$errors"; then
  redact <"$errors" >&2
  die 4 "the dump does not verify (its data cannot be read back); nothing was kept"
fi
tables=$(grep -c '^[0-9][0-9]*; [0-9][0-9]* [0-9][0-9]* TABLE DATA ' <<<"$toc" || true)

sync -- "$tmp" 2>/dev/null || true
mv -f -- "$tmp" "$final"
sync -- "$backup_dir" 2>/dev/null || true
size=$(wc -c <"$final" | tr -d ' ')
log "wrote $final ($size bytes, $tables tables with data, $((SECONDS - started)) s, verified: $verify)"

# --- upload ----------------------------------------------------------------------

if [[ -n ${BACKUP_UPLOAD_CMD:-} ]]; then
  log "uploading with BACKUP_UPLOAD_CMD"
  upload_status=0
  env -u DATABASE_URL -u PGPASSWORD bash -c "$BACKUP_UPLOAD_CMD"' "$@"' backup-upload "$final" </dev/null >&2 ||
    upload_status=$?
  if [[ $upload_status -ne 0 ]]; then
    printf '%s\n' "$final"
    die 5 "BACKUP_UPLOAD_CMD failed (exit $upload_status): $final is kept locally but was NOT uploaded; old backups were not pruned"
  fi
fi

# --- keep the newest N -------------------------------------------------------------

shopt -s nullglob
ours=()
for f in "$backup_dir/$name"-*.dump; do
  base=${f##*/}
  [[ ${base#"$name"-} =~ ^[0-9]{8}T[0-9]{6}\.[0-9]{3}Z\.dump$ ]] && ours+=("$base")
done
if ((${#ours[@]} > keep)); then
  mapfile -t ours < <(printf '%s\n' "${ours[@]}" | LC_ALL=C sort)
  for ((i = 0; i < ${#ours[@]} - keep; i++)); do
    rm -f -- "${backup_dir:?}/${ours[i]}"
    log "pruned ${ours[i]}"
  done
fi

printf '%s\n' "$final"
