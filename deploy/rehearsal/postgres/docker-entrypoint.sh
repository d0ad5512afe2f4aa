#!/bin/bash
# What deploy/docker-compose.yml relies on in the official postgres image's entrypoint:
# - as root: own PGDATA, then run again as the postgres user;
# - on an empty PGDATA: initdb with POSTGRES_USER and POSTGRES_PASSWORD (scram-sha-256), create
#   POSTGRES_DB, run /docker-entrypoint-initdb.d/*.sh (executable ones run, others are sourced,
#   here in a subshell) and *.sql against a server on its unix socket only, stop it;
# - then the server in the foreground, on every address, passwords required over TCP.
set -Eeuo pipefail

if [ "${1:-}" = postgres ] && [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ "${1:-}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is not set}"
    export POSTGRES_USER="${POSTGRES_USER:-postgres}"
    export POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
           --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8
    printf '\nhost all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
    export PGUSER="$POSTGRES_USER" PGPASSWORD="$POSTGRES_PASSWORD"
    if [ "$POSTGRES_DB" != postgres ]; then
        psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname postgres -v db="$POSTGRES_DB" <<< 'CREATE DATABASE :"db";'
    fi
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh)
                if [ -x "$f" ]; then echo "running $f"; "$f"; else echo "sourcing $f"; ( . "$f" ); fi ;;
            *.sql) echo "running $f"; psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname "$POSTGRES_DB" -f "$f" ;;
            *) if [ -e "$f" ]; then echo "ignoring $f"; fi ;;
        esac
    done
    unset PGUSER PGPASSWORD
    pg_ctl -D "$PGDATA" -m fast -w stop
    echo "PostgreSQL init process complete; ready for start up."
fi

exec "$@"
