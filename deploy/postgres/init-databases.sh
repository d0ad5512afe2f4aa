#!/bin/sh
# One database and one login role per service; no role can open another service's database.
#
# The postgres image runs this once, when it initialises an empty data directory
# (/docker-entrypoint-initdb.d/). It reads the superuser from POSTGRES_USER / POSTGRES_DB and each
# service's password from <SERVICE>_DB_PASSWORD. SAVIVALDA_DB_NAME_PREFIX (default: none) is put
# in front of every role and database name, so several stacks (or a test) can share one server.
#
# Each role owns its database and that database's public schema, so `savivalda migrate` running
# as the role creates tables it owns. CONNECT is revoked from PUBLIC: only the owner (and
# superusers) may open a service's database.
set -eu

prefix="${SAVIVALDA_DB_NAME_PREFIX:-}"
services="enrollment grants partners notifications"

password_of() {
    variable="$(echo "$1" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
    eval "printf '%s' \"\${$variable:-}\""
}

# Every password first: a half-initialised server would not be initialised again.
for service in $services; do
    if [ -z "$(password_of "$service")" ]; then
        echo "init-databases: $(echo "$service" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD is not set" >&2
        exit 1
    fi
done

for service in $services; do
    password="$(password_of "$service")"
    name="$prefix$service"

    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
         -v name="$name" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL

    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$name" -v name="$name" <<'SQL'
ALTER SCHEMA public OWNER TO :"name";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
SQL
    echo "init-databases: database and role $name ready"
done
