#!/bin/sh
# Entry point of the Gantry image: the first argument names the process to run.
#   api | worker | gpu-sim   the built app (node apps/<name>/dist/main.js; the API with apps/api/node-flags)
#   migrate [--status]       create the database if needed, apply prisma/migrations, exit
#                            (scripts/migrate.mjs, or the built migrator where tsx is absent)
#   retention [--dry-run]    one retention run now (apps/worker/dist/retention/cli.js), prints a summary
#   healthcheck              run the container health probe once (scripts/healthcheck.mjs)
#   anything else            executed as given (e.g. `sh`, `node -e ...`)
# `exec` makes node PID 1, so it receives SIGTERM from `docker stop` and shuts down cleanly.
set -eu

export APP_ROOT="${APP_ROOT:-/app}"
cmd="${1:-api}"
[ "$#" -gt 0 ] && shift

case "$cmd" in
  api)
    # With the API's Node.js flags (apps/api/node-flags: one per line, `#` comments; why each:
    # docs/operations.md, "API process flags"), or GANTRY_API_NODE_FLAGS in their place when set
    # (space-separated; empty: none). Flags hold no spaces: the unquoted $flags splits them.
    if [ "${GANTRY_API_NODE_FLAGS+set}" = set ]; then
      flags="$GANTRY_API_NODE_FLAGS"
    else
      flags=$(tr -d '\r' < "$APP_ROOT/apps/api/node-flags" | sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d')
    fi
    # shellcheck disable=SC2086
    exec node --enable-source-maps $flags "$APP_ROOT/apps/api/dist/main.js" "$@"
    ;;
  worker | gpu-sim)
    exec node --enable-source-maps "$APP_ROOT/apps/$cmd/dist/main.js" "$@"
    ;;
  migrate)
    cd "$APP_ROOT"
    # scripts/migrate.mjs reads prisma.config.ts through tsx, a dev dependency that the pruned
    # runtime image does not have. Without tsx, make the same calls on the built migrator
    # (@gantry/db's dist): DATABASE_URL, migrations from $APP_ROOT/prisma/migrations, and
    # `--status` to list pending migrations without applying them.
    if node -e "require.resolve('tsx/esm/api')" >/dev/null 2>&1; then
      exec node "$APP_ROOT/scripts/migrate.mjs" "$@"
    fi
    exec node -e '
      const root = process.env.APP_ROOT || "/app";
      const db = require(root + "/packages/db/dist/index.js");
      const url = process.env.DATABASE_URL || "postgresql://postgres@127.0.0.1:5432/gantry";
      const migrationsDir = root + "/prisma/migrations";
      const where = `database "${db.parseDatabaseUrl(url).database}"`;
      async function main(args) {
        if (args.includes("--status")) {
          const pending = await db.pendingMigrations(url, { migrationsDir });
          console.log(pending.length ? `Pending on ${where}:\n${pending.map((n) => `  ${n}`).join("\n")}` : `${where} is up to date.`);
          return 0;
        }
        const applied = await db.migrateDatabase(url, { migrationsDir, log: (line) => console.log(line) });
        console.log(applied.length ? `${where}: applied ${applied.length} migration(s).` : `${where} is up to date.`);
        return 0;
      }
      main(process.argv.slice(1)).then(
        (code) => process.exit(code),
        (err) => {
          console.error(err && err.name === "MigrationError" ? `migrate: ${err.code}: ${err.message}` : err);
          process.exit(1);
        },
      );
    ' -- "$@"
    ;;
  retention)
    exec node --enable-source-maps "$APP_ROOT/apps/worker/dist/retention/cli.js" "$@"
    ;;
  healthcheck)
    exec node "$APP_ROOT/scripts/healthcheck.mjs" "$@"
    ;;
  *)
    exec "$cmd" "$@"
    ;;
esac
