#!/bin/sh
# First boot of an empty data directory only (docker-entrypoint-initdb.d): one
# database and one login role per service, each role owning nothing but able to
# connect to its own database. The migrate job (`unionctl db migrate all`) then
# creates the tables and grants the role INSERT and SELECT on its log; it does
# all of this too, idempotently, so a volume made before this script is fine.
set -eu
prefix="${UNION_DB_PREFIX:-union}"
for service in aid competitions orgs funds; do
    name="${prefix}_${service}"
    var="UNION_$(echo "$service" | tr a-z A-Z)_DB_PASSWORD"
    password=$(eval "printf '%s' \"\${$var:-}\"")
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -v name="$name" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'name', :'password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name') \gexec
SELECT format('CREATE DATABASE %I TEMPLATE template0 ENCODING %L LOCALE_PROVIDER libc LC_COLLATE %L LC_CTYPE %L',
              :'name', 'UTF8', 'C', 'C')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'name') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'name', :'name') \gexec
SQL
done
