-- Every status write is a journal entry (kind 'status', its value in output.json) committed in
-- the same statement as the rows below, so they only repeated it: statuses are now read from
-- the journal, and a status update costs one row like any other io call.
DROP TABLE :SCHEMA.run_statuses;
DROP TABLE :SCHEMA.run_status_history;
