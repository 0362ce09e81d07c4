CREATE SCHEMA :SCHEMA;
CREATE DOMAIN :SCHEMA.concurrency_limit AS integer
	CONSTRAINT concurrency_limit_check CHECK ((VALUE > 0));
CREATE DOMAIN :SCHEMA.entry_status AS text
	CONSTRAINT entry_status_check CHECK ((VALUE = ANY (ARRAY['completed'::text, 'failed'::text])));
CREATE DOMAIN :SCHEMA.run_status AS text
	CONSTRAINT run_status_check CHECK ((VALUE = ANY (ARRAY['QUEUED'::text, 'EXECUTING'::text, 'WAITING'::text, 'SUCCESS'::text, 'FAILURE'::text, 'CANCELED'::text])));
CREATE FUNCTION :SCHEMA.append_stream_chunks(p_run_ids text[], p_keys text[], p_step_seqs integer[], p_tokens bigint[], p_places integer[], p_data text[], p_max_bytes bigint, p_channel text, p_stream_nos integer[]) RETURNS json
    LANGUAGE plpgsql
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
DECLARE
  sent bigint;
  stored_streams json;
BEGIN
  WITH input AS (
    SELECT * FROM unnest(p_run_ids, p_keys, p_step_seqs, p_tokens, p_places, p_data, p_stream_nos) WITH ORDINALITY
      AS i(run_id, key, step_seq, attempt_token, n, data, stream_no, ord)
  ),
  fresh AS (
    SELECT i.*, row_number() OVER (PARTITION BY i.stream_no ORDER BY i.ord) AS k FROM input i
    -- A probe of the place index per chunk: an anti-join would read the whole table.
    LEFT JOIN LATERAL (
      SELECT true AS taken FROM :SCHEMA.stream_chunks c
      WHERE c.run_id = i.run_id AND c.step_seq = i.step_seq AND c.attempt_token = i.attempt_token AND c.n = i.n LIMIT 1
    ) p ON true
    WHERE p.taken IS NULL
  ),
  totals AS (SELECT run_id, key, min(stream_no) AS stream_no, count(*) AS k, sum(octet_length(data)) AS b FROM fresh GROUP BY run_id, key),
  streams AS (
    INSERT INTO :SCHEMA.run_streams AS st (run_id, key, last_index, chunks, bytes, max_bytes)
    SELECT run_id, key, k, k, b, p_max_bytes FROM totals
    ON CONFLICT (run_id, key) DO UPDATE SET last_index = st.last_index + excluded.last_index, chunks = st.chunks + excluded.chunks,
      bytes = st.bytes + excluded.bytes, max_bytes = excluded.max_bytes, updated_at = now()
    RETURNING st.run_id, st.key, st.last_index, st.resets
  ),
  stored AS (
    INSERT INTO :SCHEMA.stream_chunks (run_id, key, chunk_index, step_seq, attempt_token, n, data)
    SELECT f.run_id, f.key, st.last_index - t.k + f.k, f.step_seq, f.attempt_token, f.n, f.data
    FROM fresh f JOIN totals t USING (run_id, key) JOIN streams st USING (run_id, key)
  ),
  notified AS (
    SELECT pg_notify(p_channel, CASE WHEN octet_length(n.keyed) < 8000 THEN n.keyed ELSE n.bare END)
    FROM (
      SELECT string_agg(c.run_id || ':' || c.last_index || '/' || c.key, ',') AS keyed, string_agg(c.run_id || ':' || c.last_index, ',') AS bare
      FROM (SELECT run_id, key, last_index, (row_number() OVER ()) / 100 AS part FROM streams) AS c GROUP BY c.part
    ) AS n
  )
  SELECT (SELECT count(*) FROM notified),
    (SELECT coalesce(json_agg(json_build_array(t.stream_no, st.last_index, t.k, st.resets)), '[]') FROM totals t JOIN streams st USING (run_id, key))
  INTO sent, stored_streams;
  RETURN stored_streams;
END
$$;
CREATE FUNCTION :SCHEMA.apply_metadata_op(m jsonb, op text, k text, v jsonb) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    AS $$
BEGIN
  CASE op
    WHEN 'set' THEN RETURN m || jsonb_build_object(k, coalesce(v, 'null'::jsonb));
    WHEN 'del' THEN RETURN m - k;
    WHEN 'increment' THEN RETURN m || jsonb_build_object(k, to_jsonb(
      CASE WHEN jsonb_typeof(m -> k) = 'number' THEN (m ->> k)::numeric ELSE 0 END + coalesce((v #>> '{}')::numeric, 1)));
    WHEN 'append' THEN RETURN m || jsonb_build_object(k,
      CASE WHEN m -> k IS NULL THEN '[]'::jsonb WHEN jsonb_typeof(m -> k) = 'array' THEN m -> k ELSE jsonb_build_array(m -> k) END
        || jsonb_build_array(coalesce(v, 'null'::jsonb)));
    WHEN 'remove' THEN
      IF jsonb_typeof(m -> k) IS DISTINCT FROM 'array' THEN RETURN m; END IF;
      RETURN m || jsonb_build_object(k,
        (SELECT coalesce(jsonb_agg(e ORDER BY i), '[]'::jsonb) FROM jsonb_array_elements(m -> k) WITH ORDINALITY AS a(e, i)
         WHERE e IS DISTINCT FROM coalesce(v, 'null'::jsonb)));
    ELSE RETURN m;
  END CASE;
END
$$;
CREATE FUNCTION :SCHEMA.batch_items(items jsonb) RETURNS SETOF jsonb
    LANGUAGE plpgsql IMMUTABLE STRICT ROWS 1 PARALLEL SAFE
    AS $$ BEGIN RETURN QUERY SELECT jsonb_array_elements(items); END $$;
CREATE FUNCTION :SCHEMA.copy_metadata_search() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.metadata_search := NEW.metadata;
    RETURN NEW;
  END IF;
  UPDATE :SCHEMA.runs SET metadata_search = metadata WHERE id = NEW.id AND status <> 'EXECUTING';
  RETURN NULL;
END
$$;
CREATE FUNCTION :SCHEMA.delete_runs_records() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
  gone text[] := ARRAY(SELECT id FROM deleted_runs);
BEGIN
  DELETE FROM :SCHEMA.journal j USING deleted_runs d WHERE j.run_id = d.id
    AND NOT (j.kind = 'status' AND EXISTS (SELECT 1 FROM :SCHEMA.kept_histories k WHERE k.run_id = d.id));
  DELETE FROM :SCHEMA.run_metadata_history h USING deleted_runs d WHERE h.run_id = d.id
    AND NOT EXISTS (SELECT 1 FROM :SCHEMA.kept_histories k WHERE k.run_id = d.id);
  DELETE FROM :SCHEMA.batches WHERE run_ids <@ gone;
  UPDATE :SCHEMA.batches SET run_ids = ARRAY(SELECT x FROM unnest(run_ids) x WHERE x <> ALL (gone)) WHERE run_ids && gone;
  DELETE FROM :SCHEMA.bulk_action_items WHERE run_id = ANY (gone);
  UPDATE :SCHEMA.bulk_action_items SET result_run_id = NULL WHERE result_run_id = ANY (gone);
  DELETE FROM :SCHEMA.waitpoints WHERE run_ids && gone AND run_ids <@ gone AND status <> 'WAITING';
  UPDATE :SCHEMA.waitpoints SET run_ids = ARRAY(SELECT x FROM unnest(run_ids) x WHERE x <> ALL (gone)) WHERE run_ids && gone;
  DELETE FROM :SCHEMA.events e USING deleted_runs d
    WHERE e.id = d.event_id AND NOT EXISTS (SELECT 1 FROM :SCHEMA.runs r WHERE r.event_id = e.id);
  RETURN NULL;
END
$$;
CREATE FUNCTION :SCHEMA.delete_stream_chunks() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN
    DELETE FROM :SCHEMA.stream_chunks c USING gone g WHERE c.run_id = g.run_id AND c.key = g.key;
    RETURN NULL;
  END $$;
CREATE FUNCTION :SCHEMA.refuse_completed_entry(run_id text, seq integer) RETURNS text
    LANGUAGE plpgsql
    AS $$
BEGIN
  RAISE EXCEPTION 'journal entry % of run % is already completed', seq, run_id USING ERRCODE = 'DU001';
END
$$;
CREATE FUNCTION :SCHEMA.refuse_wake_jobs(run_ids text[]) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
BEGIN
  RAISE EXCEPTION 'waking runs % needs jobs sent in the completion''s transaction', run_ids USING ERRCODE = 'DU002';
END
$$;
CREATE TABLE :SCHEMA.alert_cursors (
    url text NOT NULL,
    swept_to timestamp with time zone NOT NULL
);
CREATE TABLE :SCHEMA.alert_deliveries (
    id text NOT NULL,
    event text NOT NULL,
    run_id text NOT NULL,
    task_id text NOT NULL,
    url text NOT NULL,
    body text NOT NULL,
    status text DEFAULT 'PENDING'::text NOT NULL,
    attempts jsonb DEFAULT '[]'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    delivered_at timestamp with time zone,
    run_finished_at timestamp with time zone,
    CONSTRAINT alert_delivery_status CHECK ((status = ANY (ARRAY['PENDING'::text, 'DELIVERED'::text, 'FAILED'::text]))),
    CONSTRAINT alert_event CHECK ((event = ANY (ARRAY['run.failed'::text, 'run.timed_out'::text, 'run.canceled'::text])))
);
CREATE TABLE :SCHEMA.batches (
    id text NOT NULL,
    run_ids text[] NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE :SCHEMA.bulk_action_items (
    bulk_action_id text NOT NULL,
    run_id text NOT NULL,
    result_run_id text,
    error text,
    done_at timestamp with time zone
);
CREATE TABLE :SCHEMA.bulk_actions (
    id text NOT NULL,
    action text NOT NULL,
    filter jsonb NOT NULL,
    options jsonb DEFAULT '{}'::jsonb NOT NULL,
    status text DEFAULT 'RUNNING'::text NOT NULL,
    total integer NOT NULL,
    succeeded integer DEFAULT 0 NOT NULL,
    failed integer DEFAULT 0 NOT NULL,
    owner uuid,
    heartbeat_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    CONSTRAINT bulk_action_kind CHECK ((action = ANY (ARRAY['retry'::text, 'cancel'::text, 'replay'::text, 'fork'::text]))),
    CONSTRAINT bulk_action_status CHECK ((status = ANY (ARRAY['RUNNING'::text, 'COMPLETED'::text])))
);
CREATE TABLE :SCHEMA.events (
    id text NOT NULL,
    name text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE :SCHEMA.journal (
    run_id text NOT NULL,
    seq integer NOT NULL,
    kind text NOT NULL,
    key text NOT NULL,
    status :SCHEMA.entry_status NOT NULL,
    output jsonb,
    error jsonb,
    attempts integer,
    revision bigint NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone DEFAULT now() NOT NULL,
    attempts_before_retry integer,
    audit_hash bytea,
    timeout_ms integer,
    output_json json
);
CREATE TABLE :SCHEMA.kept_histories (
    run_id text NOT NULL,
    task_id text NOT NULL,
    status :SCHEMA.run_status NOT NULL,
    revision bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone NOT NULL,
    audit_hash bytea,
    audit_origin bytea,
    forked_from text,
    keep_until timestamp with time zone NOT NULL,
    tags text[]
);
CREATE TABLE :SCHEMA.migrations (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE :SCHEMA.run_logs (
    run_id text NOT NULL,
    seq integer NOT NULL,
    attempt integer NOT NULL,
    idx integer NOT NULL,
    id bigint NOT NULL,
    level text NOT NULL,
    message text NOT NULL,
    fields jsonb,
    at timestamp with time zone NOT NULL,
    CONSTRAINT run_logs_level_check CHECK ((level = ANY (ARRAY['debug'::text, 'log'::text, 'info'::text, 'warn'::text, 'error'::text])))
);
ALTER TABLE :SCHEMA.run_logs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME :SCHEMA.run_logs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE :SCHEMA.run_metadata_history (
    run_id text NOT NULL,
    seq integer NOT NULL,
    op text NOT NULL,
    key text,
    value jsonb,
    metadata jsonb NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    child_run_id text,
    revision bigint,
    audit_hash bytea
);
CREATE TABLE :SCHEMA.run_streams (
    run_id text NOT NULL,
    key text NOT NULL,
    last_index bigint DEFAULT 0 NOT NULL,
    chunks bigint DEFAULT 0 NOT NULL,
    bytes bigint DEFAULT 0 NOT NULL,
    max_bytes bigint NOT NULL,
    resets integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT stream_size CHECK ((bytes <= max_bytes))
);
CREATE TABLE :SCHEMA.runs (
    id text NOT NULL,
    task_id text NOT NULL,
    task_version text NOT NULL,
    event_id text,
    parent_run_id text,
    payload jsonb NOT NULL,
    status :SCHEMA.run_status NOT NULL,
    output jsonb,
    error jsonb,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    tags text[] DEFAULT '{}'::text[] NOT NULL,
    idempotency_key text,
    attempts integer DEFAULT 0 NOT NULL,
    lease uuid,
    revision bigint DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    resume_parent boolean DEFAULT false NOT NULL,
    idempotency_key_expires_at timestamp with time zone,
    expires_at timestamp with time zone,
    queue text,
    concurrency_key text,
    concurrency_limit :SCHEMA.concurrency_limit,
    forked_from text,
    scheduled_for timestamp with time zone,
    ready_at timestamp with time zone,
    heartbeat_at timestamp with time zone,
    max_duration_ms integer,
    executed_ms bigint DEFAULT 0 NOT NULL,
    priority integer DEFAULT 0 NOT NULL,
    rate_limit integer,
    rate_period_ms integer,
    wait_token text,
    wait_seq integer,
    wait_started_at timestamp with time zone,
    debounce_key text,
    start_after timestamp with time zone,
    trace_context jsonb,
    audit_hash bytea,
    audit_origin bytea,
    queue_ready_at timestamp with time zone,
    metadata_search jsonb,
    CONSTRAINT run_priority CHECK ((priority >= 0))
)
WITH (fillfactor='90');
CREATE TABLE :SCHEMA.schedules (
    id text NOT NULL,
    task_id text NOT NULL,
    cron text NOT NULL,
    timezone text DEFAULT 'UTC'::text NOT NULL,
    payload jsonb,
    deduplication_key text NOT NULL,
    declarative boolean DEFAULT false NOT NULL,
    next_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    active boolean DEFAULT true NOT NULL,
    last_at timestamp with time zone
);
CREATE TABLE :SCHEMA.spent_tokens (
    id text NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    spent_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE :SCHEMA.stream_chunks (
    run_id text NOT NULL,
    key text NOT NULL,
    chunk_index bigint NOT NULL,
    step_seq integer NOT NULL,
    attempt_token bigint NOT NULL,
    n integer NOT NULL,
    data text NOT NULL,
    superseded_in integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE :SCHEMA.tasks (
    id text NOT NULL,
    version text NOT NULL,
    kind text NOT NULL,
    event_name text,
    registered_at timestamp with time zone DEFAULT now() NOT NULL,
    queue text,
    concurrency_limit integer,
    rate_limit integer,
    rate_period_ms integer,
    retention_ms bigint,
    keep_history_ms bigint,
    CONSTRAINT tasks_concurrency_limit_check CHECK ((concurrency_limit > 0)),
    CONSTRAINT tasks_kind_check CHECK ((kind = ANY (ARRAY['task'::text, 'job'::text]))),
    CONSTRAINT tasks_rate_limit_check CHECK ((rate_limit > 0)),
    CONSTRAINT tasks_rate_period_ms_check CHECK ((rate_period_ms > 0))
);
CREATE TABLE :SCHEMA.waitpoints (
    id text NOT NULL,
    secret_hash bytea NOT NULL,
    status text DEFAULT 'WAITING'::text NOT NULL,
    output jsonb,
    timeout_at timestamp with time zone,
    idempotency_key text,
    idempotency_key_expires_at timestamp with time zone,
    tags text[] DEFAULT '{}'::text[] NOT NULL,
    run_ids text[] DEFAULT '{}'::text[] NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    completed_at timestamp with time zone,
    CONSTRAINT waitpoint_status CHECK ((status = ANY (ARRAY['WAITING'::text, 'COMPLETED'::text, 'TIMED_OUT'::text])))
);
ALTER TABLE ONLY :SCHEMA.alert_cursors
    ADD CONSTRAINT alert_cursors_pkey PRIMARY KEY (url);
ALTER TABLE ONLY :SCHEMA.alert_deliveries
    ADD CONSTRAINT alert_deliveries_pkey PRIMARY KEY (id);
ALTER TABLE ONLY :SCHEMA.batches
    ADD CONSTRAINT batches_pkey PRIMARY KEY (id);
ALTER TABLE ONLY :SCHEMA.bulk_action_items
    ADD CONSTRAINT bulk_action_items_pkey PRIMARY KEY (bulk_action_id, run_id);
ALTER TABLE ONLY :SCHEMA.bulk_actions
    ADD CONSTRAINT bulk_actions_pkey PRIMARY KEY (id);
ALTER TABLE ONLY :SCHEMA.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id);
ALTER TABLE ONLY :SCHEMA.journal
    ADD CONSTRAINT journal_pkey PRIMARY KEY (run_id, seq);
ALTER TABLE ONLY :SCHEMA.kept_histories
    ADD CONSTRAINT kept_histories_pkey PRIMARY KEY (run_id);
ALTER TABLE ONLY :SCHEMA.migrations
    ADD CONSTRAINT migrations_pkey PRIMARY KEY (version);
ALTER TABLE ONLY :SCHEMA.run_logs
    ADD CONSTRAINT run_logs_pkey PRIMARY KEY (run_id, seq, attempt, idx);
ALTER TABLE ONLY :SCHEMA.run_metadata_history
    ADD CONSTRAINT run_metadata_history_pkey PRIMARY KEY (run_id, seq);
ALTER TABLE ONLY :SCHEMA.run_streams
    ADD CONSTRAINT run_streams_pkey PRIMARY KEY (run_id, key);
ALTER TABLE ONLY :SCHEMA.runs
    ADD CONSTRAINT runs_pkey PRIMARY KEY (id);
ALTER TABLE ONLY :SCHEMA.schedules
    ADD CONSTRAINT schedules_deduplication_key_key UNIQUE (deduplication_key);
ALTER TABLE ONLY :SCHEMA.schedules
    ADD CONSTRAINT schedules_pkey PRIMARY KEY (id);
ALTER TABLE ONLY :SCHEMA.spent_tokens
    ADD CONSTRAINT spent_tokens_pkey PRIMARY KEY (id);
ALTER TABLE ONLY :SCHEMA.stream_chunks
    ADD CONSTRAINT stream_chunks_pkey PRIMARY KEY (run_id, key, chunk_index);
ALTER TABLE ONLY :SCHEMA.tasks
    ADD CONSTRAINT tasks_pkey PRIMARY KEY (id, version);
ALTER TABLE ONLY :SCHEMA.waitpoints
    ADD CONSTRAINT waitpoints_pkey PRIMARY KEY (id);
CREATE UNIQUE INDEX alert_deliveries_end_idx ON :SCHEMA.alert_deliveries USING btree (run_id, url, run_finished_at);
CREATE INDEX alert_deliveries_run_idx ON :SCHEMA.alert_deliveries USING btree (run_id);
CREATE INDEX batches_run_ids_idx ON :SCHEMA.batches USING gin (run_ids);
CREATE INDEX bulk_action_items_pending_idx ON :SCHEMA.bulk_action_items USING btree (bulk_action_id, run_id) WHERE (done_at IS NULL);
CREATE INDEX bulk_action_items_result_idx ON :SCHEMA.bulk_action_items USING btree (result_run_id) WHERE (result_run_id IS NOT NULL);
CREATE INDEX bulk_action_items_run_idx ON :SCHEMA.bulk_action_items USING btree (run_id);
CREATE INDEX bulk_actions_running_idx ON :SCHEMA.bulk_actions USING btree (heartbeat_at) WHERE (status = 'RUNNING'::text);
CREATE INDEX journal_late_revision_idx ON :SCHEMA.journal USING btree (run_id, revision) WHERE (seq > 64);
CREATE INDEX kept_histories_until_idx ON :SCHEMA.kept_histories USING btree (keep_until);
CREATE INDEX run_logs_run_id_id_idx ON :SCHEMA.run_logs USING btree (run_id, id);
CREATE INDEX runs_alertable_idx ON :SCHEMA.runs USING btree (finished_at) WHERE ((status)::text = ANY (ARRAY['FAILURE'::text, 'CANCELED'::text]));
CREATE INDEX runs_created_idx ON :SCHEMA.runs USING btree (created_at);
CREATE UNIQUE INDEX runs_debounce_idx ON :SCHEMA.runs USING btree (task_id, debounce_key) WHERE ((debounce_key IS NOT NULL) AND ((status)::text = 'QUEUED'::text) AND (started_at IS NULL));
CREATE INDEX runs_event_idx ON :SCHEMA.runs USING btree (event_id) WHERE (event_id IS NOT NULL);
CREATE INDEX runs_forked_from_idx ON :SCHEMA.runs USING btree (forked_from) WHERE (forked_from IS NOT NULL);
CREATE UNIQUE INDEX runs_idempotency_idx ON :SCHEMA.runs USING btree (task_id, idempotency_key) WHERE (idempotency_key IS NOT NULL);
CREATE INDEX runs_metadata_search_idx ON :SCHEMA.runs USING gin (metadata_search) WHERE (metadata_search <> '{}'::jsonb);
CREATE INDEX runs_parent_idx ON :SCHEMA.runs USING btree (parent_run_id) WHERE (parent_run_id IS NOT NULL);
CREATE INDEX runs_queue_executing_idx ON :SCHEMA.runs USING btree (queue, concurrency_key) WHERE ((status)::text = 'EXECUTING'::text);
CREATE INDEX runs_queue_turn_idx ON :SCHEMA.runs USING btree (queue, COALESCE(concurrency_key, ''::text), queue_ready_at, id) WHERE ((queue_ready_at IS NOT NULL) AND ((status)::text = ANY (ARRAY['QUEUED'::text, 'WAITING'::text])));
CREATE INDEX runs_rate_started_idx ON :SCHEMA.runs USING btree (queue, concurrency_key, started_at) WHERE (rate_limit IS NOT NULL);
CREATE INDEX runs_ready_idx ON :SCHEMA.runs USING btree (ready_at, id) WHERE (((status)::text = ('QUEUED'::text COLLATE "C")) AND (ready_at IS NOT NULL));
CREATE INDEX runs_status_idx ON :SCHEMA.runs USING btree (status, created_at DESC);
CREATE INDEX runs_tags_idx ON :SCHEMA.runs USING gin (tags) WHERE (tags <> '{}'::text[]);
CREATE INDEX runs_task_idx ON :SCHEMA.runs USING btree (task_id, created_at DESC);
CREATE INDEX schedules_task_idx ON :SCHEMA.schedules USING btree (task_id);
CREATE UNIQUE INDEX stream_chunks_place ON :SCHEMA.stream_chunks USING btree (run_id, step_seq, attempt_token, n);
CREATE INDEX stream_chunks_superseded ON :SCHEMA.stream_chunks USING btree (run_id, key, superseded_in) WHERE (superseded_in IS NOT NULL);
CREATE INDEX tasks_event_name_idx ON :SCHEMA.tasks USING btree (event_name) WHERE (event_name IS NOT NULL);
CREATE UNIQUE INDEX waitpoints_idempotency_key ON :SCHEMA.waitpoints USING btree (idempotency_key) WHERE (idempotency_key IS NOT NULL);
CREATE INDEX waitpoints_run_ids ON :SCHEMA.waitpoints USING gin (run_ids);
CREATE INDEX waitpoints_tags ON :SCHEMA.waitpoints USING gin (tags);
CREATE TRIGGER run_streams_deleted AFTER DELETE ON :SCHEMA.run_streams REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION :SCHEMA.delete_stream_chunks();
CREATE TRIGGER runs_delete_records AFTER DELETE ON :SCHEMA.runs REFERENCING OLD TABLE AS deleted_runs FOR EACH STATEMENT EXECUTE FUNCTION :SCHEMA.delete_runs_records();
CREATE TRIGGER runs_metadata_search_insert BEFORE INSERT ON :SCHEMA.runs FOR EACH ROW WHEN ((((new.status)::text <> 'EXECUTING'::text) AND (new.metadata <> '{}'::jsonb))) EXECUTE FUNCTION :SCHEMA.copy_metadata_search();
CREATE TRIGGER runs_metadata_search_update AFTER UPDATE ON :SCHEMA.runs FOR EACH ROW WHEN ((((new.status)::text <> 'EXECUTING'::text) AND (COALESCE(new.metadata_search, '{}'::jsonb) <> new.metadata))) EXECUTE FUNCTION :SCHEMA.copy_metadata_search();
ALTER TABLE ONLY :SCHEMA.alert_deliveries
    ADD CONSTRAINT alert_deliveries_run_id_fkey FOREIGN KEY (run_id) REFERENCES :SCHEMA.runs(id) ON DELETE CASCADE;
ALTER TABLE ONLY :SCHEMA.bulk_action_items
    ADD CONSTRAINT bulk_action_items_bulk_action_id_fkey FOREIGN KEY (bulk_action_id) REFERENCES :SCHEMA.bulk_actions(id) ON DELETE CASCADE;
ALTER TABLE ONLY :SCHEMA.run_logs
    ADD CONSTRAINT run_logs_run_id_fkey FOREIGN KEY (run_id) REFERENCES :SCHEMA.runs(id) ON DELETE CASCADE;
ALTER TABLE ONLY :SCHEMA.run_streams
    ADD CONSTRAINT run_streams_run_id_fkey FOREIGN KEY (run_id) REFERENCES :SCHEMA.runs(id) ON DELETE CASCADE;
ALTER TABLE ONLY :SCHEMA.runs
    ADD CONSTRAINT runs_event_id_fkey FOREIGN KEY (event_id) REFERENCES :SCHEMA.events(id);
ALTER TABLE ONLY :SCHEMA.runs
    ADD CONSTRAINT runs_forked_from_fkey FOREIGN KEY (forked_from) REFERENCES :SCHEMA.runs(id);
ALTER TABLE ONLY :SCHEMA.runs
    ADD CONSTRAINT runs_parent_run_id_fkey FOREIGN KEY (parent_run_id) REFERENCES :SCHEMA.runs(id);
