-- OpenTelemetry: the W3C trace context of the code that triggered a run, which its spans continue.
-- A nullable column without a default: a catalog change only, no rewrite of runs.
ALTER TABLE :SCHEMA.runs ADD COLUMN trace_context jsonb;
