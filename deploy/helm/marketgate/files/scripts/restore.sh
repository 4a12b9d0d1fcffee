#!/usr/bin/env bash
# Restores a scripts/backup.sh dump into a PostgreSQL database (see docs/operations.md).
#
#   scripts/restore.sh [--force] DUMP_FILE [DATABASE_URL] [-- PG_RESTORE_OPTIONS...]
#
# Environment:
#   DATABASE_URL       the target (the second argument wins over it); must be a
#                      postgres:// URL naming the database
#   RESTORE_FORCE=1    same as --force
#   RESTORE_JOBS       parallel pg_restore jobs (default 1). With 1 the restore is a
#                      single transaction; with more it is not, but a failed restore
#                      is still dropped as a whole (see below)
#   RESTORE_ADMIN_DB   database to connect to for CREATE/DROP DATABASE (default postgres)
#   RESTORE_ANALYZE=0  skip the ANALYZE after the restore (pg_restore brings no statistics)
#   PGCONNECT_TIMEOUT  seconds to wait for the server (default 10 here)
#
# What happens to the target:
#   missing            it is created (TEMPLATE template0) and restored into; if the
#                      restore fails it is dropped again
#   exists, empty      restored into; a failed single-transaction restore leaves it empty
#   exists, has tables refused (exit 4) unless --force. With --force the dump is restored
#                      into a temporary database first; only when that succeeded is the
#                      target dropped (WITH (FORCE): its sessions are terminated) and the
#                      temporary database renamed to it. A failed restore leaves the
#                      target untouched.
# pg_restore runs with --no-owner --exit-on-error: objects belong to the connecting
# user. Extra options after `--` go to pg_restore (e.g. -- --no-acl).
# At the end the row counts of the main tables are printed on stdout.
#
# Exit codes:
#   0  restored; row counts printed
#   1  unexpected failure
#   2  usage error (no dump file or target, target not a postgres:// URL naming a database)
#   3  the dump file is missing, unreadable or not a pg_dump archive
#   4  the target database is not empty and --force was not given
#   5  cannot connect to the server, or cannot create/drop/rename the database
#   6  pg_restore failed (the target is left as described above)
set -euo pipefail

prog=${0##*/}

usage() {
  cat >&2 <<EOF
Usage: $prog [--force] DUMP_FILE [DATABASE_URL] [-- PG_RESTORE_OPTIONS...]

Restores DUMP_FILE (pg_dump custom format, as written by backup.sh) into the database
named by DATABASE_URL (the argument, or the DATABASE_URL variable), creating it if it
is missing. A database that already has tables is only replaced with --force (or
RESTORE_FORCE=1). Prints the row counts of the main tables when done.
Exit codes: 0 ok, 1 unexpected, 2 usage, 3 bad dump file, 4 target not empty,
5 server/database error, 6 pg_restore failed.
EOF
}

# --- secrets: never print them ------------------------------------------------

secret_raw=""
secret_plain=""

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

percent_decode() {
  local s=${1//\\/\\\\}
  printf '%b' "${s//%/\\x}"
}

# --- arguments ------------------------------------------------------------------

force=${RESTORE_FORCE:-0}
positional=()
extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help)
      usage
      exit 0
      ;;
    -f | --force)
      force=1
      shift
      ;;
    --)
      shift
      extra=("$@")
      break
      ;;
    -*)
      usage
      log "error: unknown option $1"
      exit 2
      ;;
    *)
      positional+=("$1")
      shift
      ;;
  esac
done
if [[ ${#positional[@]} -lt 1 || ${#positional[@]} -gt 2 ]]; then
  usage
  exit 2
fi
file=${positional[0]}
url=${positional[1]:-${DATABASE_URL:-}}
[[ -n $url ]] || {
  usage
  log "error: no target database: pass DATABASE_URL as the second argument or set it"
  exit 2
}
[[ $force == 1 || $force == 0 ]] || die 2 "RESTORE_FORCE must be 0 or 1 (got '$force')"
jobs=${RESTORE_JOBS:-1}
[[ $jobs =~ ^[0-9]+$ && $jobs -ge 1 ]] || die 2 "RESTORE_JOBS must be a whole number >= 1 (got '$jobs')"
for tool in pg_restore psql; do
  command -v "$tool" >/dev/null || die 2 "$tool not found on PATH"
done

# scheme://[user[:password]@]host[:port]/database[?options]. The password goes
# to libpq through PGPASSWORD, never on a command line or into a message.
[[ $url =~ ^(postgres(ql)?://)([^/?#]*)/([^?#]+)(\?[^#]*)?$ ]] ||
  die 2 "DATABASE_URL must be a postgres:// URL that names a database, e.g. postgres://user@host:5432/marketgate"
scheme=${BASH_REMATCH[1]}
authority=${BASH_REMATCH[3]}
db=$(percent_decode "${BASH_REMATCH[4]}")
query=${BASH_REMATCH[5]}
if [[ $authority == *@* ]]; then
  userinfo=${authority%%@*}
  if [[ $userinfo == *:* ]]; then
    secret_raw=${userinfo#*:}
    secret_plain=$(percent_decode "$secret_raw")
    export PGPASSWORD=$secret_plain
    authority="${userinfo%%:*}@${authority#*@}"
  fi
fi
if [[ $query =~ [?\&]password=([^\&#]*) ]]; then
  secret_raw=${secret_raw:-${BASH_REMATCH[1]}}
  secret_plain=${secret_plain:-$(percent_decode "${BASH_REMATCH[1]}")}
fi
shown=$(printf '%s' "$url" | redact)

export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-10}
export PGAPPNAME=${PGAPPNAME:-marketgate-restore}

# A URL to database $1 on the same server (percent-encoded as libpq expects).
url_for() {
  local LC_ALL=C name=$1 encoded="" i c
  for ((i = 0; i < ${#name}; i++)); do
    c=${name:i:1}
    case $c in
      [A-Za-z0-9._~-]) encoded+=$c ;;
      *) encoded+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s%s/%s%s' "$scheme" "$authority" "$encoded" "$query"
}
admin_db=${RESTORE_ADMIN_DB:-postgres}
[[ $admin_db != "$db" ]] || admin_db=template1
admin_url=$(url_for "$admin_db")

errors=$(mktemp "${TMPDIR:-/tmp}/$prog.XXXXXX")
# Runs SQL from stdin on database $1 (psql variables from the remaining -v args).
sql_on() {
  local target=$1
  shift
  psql --no-psqlrc --no-password --quiet --tuples-only --no-align -v ON_ERROR_STOP=1 \
    --dbname="$(url_for "$target")" "$@" 2>"$errors"
}
show_errors() { redact <"$errors" >&2; }

# --- the dump file --------------------------------------------------------------------

[[ -f $file && -r $file ]] || die 3 "no readable dump file at $file"
if ! pg_restore --list "$file" >/dev/null 2>"$errors"; then
  show_errors
  die 3 "$file is not a readable pg_dump custom-format archive"
fi

# --- the target ---------------------------------------------------------------------

if ! exists=$(sql_on "$admin_db" -v db="$db" <<<"SELECT count(*) FROM pg_database WHERE datname = :'db';"); then
  show_errors
  die 5 "cannot connect to the server of $shown (through database $admin_db)"
fi

work=""     # the database pg_restore writes into
created=""  # a database this run created and must drop if it does not finish
finished=0
cleanup() {
  if [[ $finished != 1 && -n $created ]]; then
    log "dropping the incomplete database $created"
    sql_on "$admin_db" -v db="$created" <<<'DROP DATABASE IF EXISTS :"db" WITH (FORCE);' || show_errors
  fi
  rm -f -- "$errors"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

create_db() {
  if ! sql_on "$admin_db" -v db="$1" <<<'CREATE DATABASE :"db" TEMPLATE template0;'; then
    show_errors
    die 5 "cannot create database $1"
  fi
  created=$1
}

swap=0
if [[ $exists == 0 ]]; then
  log "database $db does not exist: creating it"
  create_db "$db"
  work=$db
else
  if ! objects=$(sql_on "$db" <<'SQL'
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%';
SQL
  ); then
    show_errors
    die 5 "cannot inspect database $db"
  fi
  if [[ $objects == 0 ]]; then
    work=$db
  elif [[ $force != 1 ]]; then
    die 4 "database $db is not empty ($objects tables, views and sequences); refusing to overwrite it. Use --force (or RESTORE_FORCE=1) to replace it"
  else
    swap=1
    work="${db:0:40}_restore_$$"
    log "database $db is not empty: restoring into $work first, replacing $db only if that succeeds"
    create_db "$work"
  fi
fi

# --- restore ---------------------------------------------------------------------------

args=(--no-owner --exit-on-error --no-password --dbname="$(url_for "$work")")
if [[ $jobs -gt 1 ]]; then
  args+=(--jobs="$jobs")
else
  args+=(--single-transaction)
fi
log "restoring $file into $work ($([[ $jobs -gt 1 ]] && echo "$jobs jobs" || echo "single transaction"))"
started=$SECONDS
if ! pg_restore "${args[@]}" "${extra[@]}" "$file" 2>"$errors"; then
  show_errors
  if [[ -n $created ]]; then
    die 6 "pg_restore failed; $work is dropped$([[ $swap == 1 ]] && echo ", $db is unchanged")"
  fi
  die 6 "pg_restore failed; $db was rolled back$([[ $jobs -gt 1 ]] && echo " only partly (parallel restore): drop and restore again")"
fi
show_errors

if [[ $swap == 1 ]]; then
  if ! sql_on "$admin_db" -v db="$db" <<<'DROP DATABASE :"db" WITH (FORCE);'; then
    show_errors
    die 5 "the restore into $work succeeded but $db could not be dropped; $db is unchanged, $work is dropped"
  fi
  # From here on $work holds the only copy: never drop it.
  created=""
  if ! sql_on "$admin_db" -v db="$db" -v work="$work" <<<'ALTER DATABASE :"work" RENAME TO :"db";'; then
    show_errors
    die 5 "$db was dropped but $work could not be renamed to it: the restored data is in $work (ALTER DATABASE ... RENAME TO ...)"
  fi
fi
finished=1
log "restored in $((SECONDS - started)) s"

if [[ ${RESTORE_ANALYZE:-1} != 0 ]]; then
  sql_on "$db" <<<'ANALYZE;' || {
    show_errors
    log "warning: ANALYZE failed; run it before serving traffic"
  }
fi

# --- row counts ---------------------------------------------------------------------------

if ! counts=$(sql_on "$db" --field-separator=$'\t' <<'SQL'
SELECT t, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM public.%I', t), false, true, '')))[1]::text
FROM unnest(ARRAY['instruments', 'bars_daily', 'corporate_actions', 'ingest_runs',
                  'quality_quarantine', 'bars_intraday', 'schema_migrations']) WITH ORDINALITY AS u(t, i)
WHERE to_regclass(format('public.%I', t)) IS NOT NULL
ORDER BY i;
SQL
); then
  show_errors
  die 1 "restored, but counting rows in $db failed"
fi
printf 'rows in %s:\n' "$db"
while IFS=$'\t' read -r table n; do
  if [[ -n $table ]]; then printf '  %-20s %12s\n' "$table" "$n"; fi
done <<<"$counts"
