#!/bin/sh
# Restores a backup made by scripts/backup.sh into an EMPTY database and an EMPTY artifact
# directory (both are created when missing). A target that holds anything is refused unless
# --force is given; with --force the backup's tables replace the database's (pg_restore --clean)
# and its blobs are added to the directory (content-addressed: equal names hold equal bytes).
#
# Usage: scripts/restore.sh [--force] <backup dir>      (npm run restore -- <backup dir>)
# Reads DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/gantry) and
# GANTRY_ARTIFACT_DIR (default ./.data/artifacts) as the target. Stop the api and the workers
# first. Needs pg_restore and psql, tar, sha256sum. See docs/operations.md.
set -eu

usage() {
  echo "usage: scripts/restore.sh [--force] <backup dir>" >&2
  exit 2
}

force=0
src=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --force) force=1; shift ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "restore: unknown option: $1" >&2; usage ;;
    *) [ -z "$src" ] || usage; src="$1"; shift ;;
  esac
done
[ -n "$src" ] || usage

for tool in pg_restore psql tar sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || { echo "restore: $tool is not installed (PostgreSQL client tools, tar, coreutils)" >&2; exit 1; }
done

for f in manifest.json SHA256SUMS database.dump artifacts.tar; do
  [ -f "$src/$f" ] || { echo "restore: $src is not a Gantry backup (no $f)" >&2; exit 1; }
done
grep -q '"format": "gantry-backup/1"' "$src/manifest.json" || { echo "restore: unknown backup format in $src/manifest.json" >&2; exit 1; }
(cd "$src" && sha256sum -c --quiet SHA256SUMS) || { echo "restore: checksum mismatch: the backup in $src is damaged" >&2; exit 1; }

database_url="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/gantry}"
db_url=$(printf '%s' "$database_url" | sed -E 's/([?&])schema=[^&]*&?/\1/; s/[?&]$//')
artifact_dir="${GANTRY_ARTIFACT_DIR:-./.data/artifacts}"
if [ "${GANTRY_STORAGE:-local}" != "local" ]; then
  echo "restore: GANTRY_STORAGE=${GANTRY_STORAGE}: this script restores into the local store only; restore the database with pg_restore and the bucket from the provider's copy (docs/operations.md#with-the-s3-store)" >&2
  exit 1
fi

# The database: created when missing (through the server's `postgres` database).
dbname=$(printf '%s' "$db_url" | sed -E 's#^[a-z]+://[^/]*/?##; s#\?.*$##')
[ -n "$dbname" ] || { echo "restore: DATABASE_URL names no database" >&2; exit 1; }
case "$dbname" in *[!A-Za-z0-9_-]*) echo "restore: unsupported database name: $dbname" >&2; exit 1 ;; esac
admin_url=$(printf '%s' "$db_url" | sed -E "s#^([a-z]+://[^/]*)/$dbname#\\1/postgres#")
exists=$(psql "$admin_url" -X -v ON_ERROR_STOP=1 -tA -c "SELECT count(*) FROM pg_database WHERE datname = '$dbname'")
if [ "$exists" = "0" ]; then
  psql "$admin_url" -X -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE \"$dbname\""
  echo "restore: created database \"$dbname\"" >&2
fi

# Empty means: no table, view, sequence or type of its own outside PostgreSQL's schemas.
objects=$(psql "$db_url" -X -v ON_ERROR_STOP=1 -tA -c "
  SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%')
       + (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE t.typtype = 'e' AND n.nspname NOT IN ('pg_catalog', 'information_schema'))")
if [ "$objects" != "0" ] && [ "$force" -ne 1 ]; then
  echo "restore: database \"$dbname\" is not empty ($objects objects); restore into an empty one, or pass --force to replace its tables" >&2
  exit 1
fi
if [ -d "$artifact_dir" ] && [ -n "$(ls -A "$artifact_dir")" ] && [ "$force" -ne 1 ]; then
  echo "restore: artifact directory $artifact_dir is not empty; restore into an empty one, or pass --force to add to it" >&2
  exit 1
fi

if [ "$objects" != "0" ]; then
  pg_restore --clean --if-exists --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$db_url" "$src/database.dump"
else
  pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$db_url" "$src/database.dump"
fi
mkdir -p "$artifact_dir"
tar -C "$artifact_dir" -xf "$src/artifacts.tar"

counts=$(psql "$db_url" -X -v ON_ERROR_STOP=1 -tA -F ' ' -c "SELECT (SELECT count(*) FROM jobs), (SELECT count(*) FROM artifacts)")
set -- $counts
echo "restore: database \"$dbname\" now holds $1 jobs and $2 artifacts; blobs restored into $artifact_dir" >&2
