/** `durably --help`, and what `durably` alone prints. */
export const HELP = `durably — durable workflows on PostgreSQL

Usage:
  durably start [entry files…] [--role all|worker|api] [--port 3030] [--host 127.0.0.1] [--concurrency 10] [--dev] [--data-dir .durably/pg]
      Imports the entry files, registers every exported task and every Client's
      jobs, and runs the worker, the HTTP API and the dashboard. --role worker
      runs only the worker (no HTTP), --role api only the HTTP API and dashboard;
      any number of each can share one database. Without DATABASE_URL it starts
      an embedded PostgreSQL keeping data in --data-dir.
  durably migrate                       Apply database migrations.
  durably trigger <task-id> [--payload '<json>'] [--tag t]… [--idempotency-key k] [--max-duration seconds] [--priority seconds]
                           [--debounce-key k --debounce-delay 5s [--debounce-mode leading|trailing]]
  durably runs list [--status S] [--task id] [--tag t] [--limit n] [--cursor c] [--watch]
      A table of runs, newest first; --watch redraws it as runs change, until Ctrl-C.
  durably runs get <run-id>
  durably runs watch <run-id>
      Follows the run live: its io calls as they are written, its statuses with progress
      bars, then its result. Exit code 0 when it succeeded, 1 when it failed, 2 when canceled.
  durably runs retry|replay|cancel <run-id>
  durably runs fork <run-id> --from-seq N
      A new run replaying the journal before seq N and executing again from there.
  durably runs bulk retry|cancel|replay|fork [--status S] [--task id] [--task-version v] [--tag t] [--from date] [--to date] [--from-seq N] [--dry-run]
      Acts on every run the filter matches, each once, and waits until all are done
      (--dry-run only counts them). Exits 1 if some run could not be acted on.
  durably purge --older-than 30d [--task id] [--status SUCCESS,FAILURE,CANCELED] [--keep-status-history 1y] [--dry-run]
      Deletes runs that finished longer ago than that, with the runs they started and
      everything they owned; unfinished runs are never purged. Prints how many went.
      --keep-status-history keeps their status and metadata history that long after they finished.
  durably schedules list [--task id]
  durably schedules create <task-id> --cron "<expr>" [--timezone tz] [--payload '<json>'] [--deduplication-key k]
  durably schedules delete <schedule-id>
  durably waitpoints list [--status S] [--tag t]… [--run id] [--limit n] [--cursor c]
  durably waitpoints get <waitpoint-id>
  durably waitpoints complete <waitpoint-id> --output '<json>'
      Completes a waitpoint token (the first completion wins) and wakes the runs waiting on it.
  durably check <entry files…> [--run id] [--task id] [--since ISO-date]
      Replays recorded journals against the code in the entry files, without side
      effects, and prints the first divergence of each run. Exits 1 on any.
  durably check <entry files…> --repair [--task id] [--since ISO-date] [--yes]
      For each failed run, the first step that would now run differently; once
      confirmed (or with --yes), forks each run from its own step.
  durably audit verify [--run id | --since ISO-date]
      Recomputes the hash chain of each run's statuses and metadata changes; exits 1
      naming the first broken link (run, table, seq) when one was edited or deleted.
      --run on a fork walks on into the run it was forked from.
  durably audit export <run-id> [--format json|csv] [--output file]
      The run's full status and metadata history, with the hash of each version.

Options:
  --json        Print JSON instead of text (runs watch and --watch: one JSON object a line).
  --schema s    Postgres schema (default "durably", or DURABLY_SCHEMA).
  --data-dir d  Without DATABASE_URL, every command uses the embedded PostgreSQL in d
                (default .durably/pg): the one "durably start" runs, or else started
                for the command and stopped after it.
  --verbose     On an error, print its stack trace too.
  -h, --help    Show this help (also: durably help).
  -v, --version Print the version of durably.

Environment: DATABASE_URL, DATABASE_DIRECT_URL (a direct connection when DATABASE_URL
goes through a pooler such as PgBouncer), DURABLY_SCHEMA, DURABLY_SECRET_KEY.`;
