#!/bin/sh
# Backs up a Gantry installation: the PostgreSQL database (pg_dump, custom format) and the
# artifact store (tar), into one new timestamped directory with a manifest:
#
#   <backup dir>/gantry-backup-<UTC time>/
#     database.dump    pg_dump --format=custom (restore with scripts/restore.sh, or pg_restore)
#     artifacts.tar    the artifact directory's content (sha256/xx/<hash> blobs)
#     manifest.json    what, when, from where, row counts, sizes and sha256 of both files
#     SHA256SUMS       the same checksums, for `sha256sum -c`
#
# Usage: scripts/backup.sh [--out DIR]        (npm run backup -- --out DIR)
# Reads DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/gantry), GANTRY_ARTIFACT_DIR
# (default ./.data/artifacts) and GANTRY_BACKUP_DIR (default ./.data/backups; --out wins). The local
# store only: with GANTRY_STORAGE=s3 it stops and says how to back the bucket up instead.
# Needs pg_dump and psql (PostgreSQL client, same major version as the server or newer), tar,
# sha256sum. Prints the backup's path on its last line. See docs/operations.md.
#
# Order: the database is dumped first (one consistent snapshot), then the artifacts are archived.
# Workers store a blob before they record its row, so every row in the dump finds its blob in the
# archive; blobs stored after the dump are extra and harmless. Retention deletes blobs: a run
# overlapping the archive can leave a row without its blob, so back up between retention runs.
set -eu

usage() {
  echo "usage: scripts/backup.sh [--out DIR]" >&2
  exit 2
}

out="${GANTRY_BACKUP_DIR:-./.data/backups}"
while [ "$#" -gt 0 ]; do
  case "$1" in
    --out) [ "$#" -ge 2 ] || usage; out="$2"; shift 2 ;;
    --out=*) out="${1#--out=}"; shift ;;
    -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "backup: unknown argument: $1" >&2; usage ;;
  esac
done

for tool in pg_dump psql tar sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || { echo "backup: $tool is not installed (PostgreSQL client tools, tar, coreutils)" >&2; exit 1; }
done

database_url="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/gantry}"
# Prisma's ?schema= is not a libpq parameter; Gantry uses the default schema.
db_url=$(printf '%s' "$database_url" | sed -E 's/([?&])schema=[^&]*&?/\1/; s/[?&]$//')
artifact_dir="${GANTRY_ARTIFACT_DIR:-./.data/artifacts}"

if [ "${GANTRY_STORAGE:-local}" != "local" ]; then
  # The artifacts are in a bucket (GANTRY_STORAGE=s3), not in a directory this script can archive:
  # a backup without them would look complete and restore rows without their blobs.
  echo "backup: GANTRY_STORAGE=${GANTRY_STORAGE}: the artifacts are in the bucket, which this script does not copy." >&2
  echo "backup: back the bucket up with the provider (versioning + replication, or a bucket copy), and the database with pg_dump (docs/operations.md#with-the-s3-store)." >&2
  exit 1
fi

if [ ! -d "$artifact_dir" ]; then
  echo "backup: the artifact directory $artifact_dir does not exist (set GANTRY_ARTIFACT_DIR)" >&2
  exit 1
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
final="$out/gantry-backup-$stamp"
if [ -e "$final" ]; then
  echo "backup: $final exists already" >&2
  exit 1
fi
# Written under a temporary name and renamed when complete: a backup directory is never partial.
work="$out/.gantry-backup-$stamp.partial"
rm -rf "$work"
mkdir "$work"
trap 'rm -rf "$work"' EXIT INT TERM

counts=$(psql "$db_url" -X -v ON_ERROR_STOP=1 -tA -F ' ' -c \
  "SELECT (SELECT count(*) FROM tenants), (SELECT count(*) FROM jobs), (SELECT count(*) FROM job_events), (SELECT count(*) FROM artifacts), current_database()")
set -- $counts
tenants=$1 jobs=$2 events=$3 artifacts=$4 dbname=$5

pg_dump --format=custom --no-owner --no-privileges --file="$work/database.dump" "$db_url"
tar -C "$artifact_dir" -cf "$work/artifacts.tar" .

blobs=$(tar -tf "$work/artifacts.tar" | grep -Ec '^(\./)?sha256/[0-9a-f]{2}/[0-9a-f]{64}$' || true)
(cd "$work" && sha256sum database.dump artifacts.tar > SHA256SUMS)
dump_sha=$(sed -n 's/  database.dump$//p' "$work/SHA256SUMS")
tar_sha=$(sed -n 's/  artifacts.tar$//p' "$work/SHA256SUMS")
dump_bytes=$(wc -c < "$work/database.dump" | tr -d ' ')
tar_bytes=$(wc -c < "$work/artifacts.tar" | tr -d ' ')
pg_version=$(pg_dump --version | sed 's/^pg_dump (PostgreSQL) //')
migration=$(psql "$db_url" -X -tA -c "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name DESC LIMIT 1" 2>/dev/null || true)

cat > "$work/manifest.json" <<EOF
{
  "format": "gantry-backup/1",
  "createdAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "database": { "name": "$dbname", "lastMigration": "$migration", "pgDump": "$pg_version" },
  "counts": { "tenants": $tenants, "jobs": $jobs, "jobEvents": $events, "artifacts": $artifacts, "blobs": $blobs },
  "files": {
    "database.dump": { "bytes": $dump_bytes, "sha256": "$dump_sha" },
    "artifacts.tar": { "bytes": $tar_bytes, "sha256": "$tar_sha" }
  }
}
EOF

mv "$work" "$final"
trap - EXIT INT TERM
echo "backup: database \"$dbname\" ($jobs jobs, $artifacts artifacts) and $blobs blobs from $artifact_dir" >&2
echo "$final"
