#!/bin/sh
# papersift container entry point (also run as-is in CI, without Docker).
#
#   entrypoint.sh            migrate the store, create the secret key once, exec gunicorn
#   entrypoint.sh web        the same
#   entrypoint.sh CMD ...    migrate, then exec `papersift CMD ...` (scheduler, worker, bootstrap...)
#
# HOST (default 0.0.0.0), PORT (default 8000) and WORKERS (default: 2 x cores + 1) choose
# where and how gunicorn serves; papersift's own settings come from its PAPERSIFT_*,
# DATABASE_URL, REDIS_URL and SECRET_KEY variables. Logs go to stdout/stderr.
set -eu

PAPERSIFT="${PAPERSIFT:-papersift}"
export PAPERSIFT_DATA_DIR="${PAPERSIFT_DATA_DIR:-/data}"
mkdir -p "$PAPERSIFT_DATA_DIR"

# Creates <data dir>/secret_key (mode 0600) on first start unless SECRET_KEY is set,
# then applies pending schema migrations; exits non-zero (and the container restarts)
# when the database is not reachable yet.
"$PAPERSIFT" migrate

command="${1:-web}"
[ "$#" -gt 0 ] && shift
if [ "$command" = "web" ]; then
  set -- --host "${HOST:-0.0.0.0}" --port "${PORT:-8000}"
  [ -n "${WORKERS:-}" ] && set -- "$@" --workers "$WORKERS"
  exec "$PAPERSIFT" serve "$@"
fi
exec "$PAPERSIFT" "$command" "$@"
