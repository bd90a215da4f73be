# Start a local PostgreSQL server for casework's contract tests and export its DSN.
#
# Source it (so the DSN reaches the caller's environment):   source .ci/postgres.sh
# Needs root (installs Debian's postgresql package if missing). Idempotent: safe to run twice.
# Afterwards CASEWORK_TEST_POSTGRES_DSN is exported; the test suite skips the PostgreSQL
# contract tests, with a visible reason, only when it is unset or no server answers.
# Settings (override before sourcing): CASEWORK_PG_USER, CASEWORK_PG_PASSWORD, CASEWORK_PG_DB.

_casework_pg() {
    local user="${CASEWORK_PG_USER:-casework}"
    local password="${CASEWORK_PG_PASSWORD:-casework}"
    local db="${CASEWORK_PG_DB:-casework_test}"

    if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
        echo "postgres.sh: installing Debian's postgresql package" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 \
            || { echo "postgres.sh: apt-get install postgresql failed" >&2; return 1; }
    fi

    # the first cluster Debian made (e.g. "15 main 5432 down postgres ...")
    local version cluster port status
    read -r version cluster port status _ < <(pg_lsclusters -h | head -n 1)
    if [ -z "$version" ]; then
        echo "postgres.sh: no PostgreSQL cluster found (pg_createcluster one)" >&2
        return 1
    fi
    if [ "$status" != "online" ]; then
        pg_ctlcluster "$version" "$cluster" start >&2 \
            || { echo "postgres.sh: pg_ctlcluster $version $cluster start failed" >&2; return 1; }
    fi

    local i
    for i in $(seq 1 30); do
        pg_isready -q -h 127.0.0.1 -p "$port" && break
        sleep 1
    done
    pg_isready -q -h 127.0.0.1 -p "$port" \
        || { echo "postgres.sh: the server on port $port did not come up" >&2; return 1; }

    # role and database, created once (the password is reset each time: harmless)
    runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -p "$port" -d postgres >&2 <<SQL \
        || { echo "postgres.sh: creating the role failed" >&2; return 1; }
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$user') THEN
    CREATE ROLE "$user" LOGIN PASSWORD '$password';
  ELSE
    ALTER ROLE "$user" LOGIN PASSWORD '$password';
  END IF;
END \$\$;
SQL
    if ! runuser -u postgres -- psql -tA -p "$port" -d postgres \
            -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
        runuser -u postgres -- createdb -p "$port" -O "$user" "$db" >&2 \
            || { echo "postgres.sh: createdb $db failed" >&2; return 1; }
    fi

    export CASEWORK_TEST_POSTGRES_DSN="postgresql://$user:$password@127.0.0.1:$port/$db"
    echo "CASEWORK_TEST_POSTGRES_DSN=$CASEWORK_TEST_POSTGRES_DSN"
}

# the status of this file is the status of the setup, so `source .ci/postgres.sh || exit 1` works
if _casework_pg; then
    unset -f _casework_pg
else
    unset -f _casework_pg
    echo "postgres.sh: no PostgreSQL server for the tests" >&2
    false
fi
