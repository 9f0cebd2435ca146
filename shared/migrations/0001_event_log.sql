-- The append-only event log of one service. See docs/audit.md for the hash chain.

CREATE TABLE events (
    position       bigint      PRIMARY KEY CHECK (position > 0),
    stream_id      text        NOT NULL
                   CHECK (stream_id ~ '^[A-Z][A-Za-z0-9]{0,63}-[A-Za-z0-9_.:@-]{1,135}$'),
    stream_type    text        NOT NULL CHECK (stream_type = split_part(stream_id, '-', 1)),
    version        integer     NOT NULL CHECK (version > 0),
    event_id       uuid        NOT NULL UNIQUE,
    event_type     text        NOT NULL CHECK (event_type ~ '^[A-Z][A-Za-z0-9]{0,99}$'),
    schema_version integer     NOT NULL CHECK (schema_version > 0),
    data           jsonb       NOT NULL CHECK (jsonb_typeof(data) = 'object'),
    metadata       jsonb       NOT NULL CHECK (jsonb_typeof(metadata) = 'object'),
    recorded_at    timestamptz NOT NULL,
    prev_hash      text        NOT NULL,
    hash           text        NOT NULL,
    UNIQUE (stream_id, version)
);

-- Rows are facts: nobody rewrites them, not even the owner, short of disabling
-- this trigger as a superuser, which the hash chain then exposes.
CREATE FUNCTION events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % on events is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER events_no_update_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- Appends events to one stream in one round trip.
--
-- All appends to this log are serialized by a transaction-scoped advisory lock
-- (key 0x756E696F, 'unio'), held until commit. Position and previous hash are
-- read under it, so positions have no holes (a rolled-back append never took a
-- number from a sequence) and a reader of "position > n" can never miss an
-- event that commits later with a lower position.
--
-- p_expected: -1 any version, 0 the stream must not exist yet, n the stream's
-- current version must be n. p_data and p_metadata are the canonical JSON texts
-- (docs/audit.md); the hash covers exactly those texts.
--
-- Errors: UE001 version conflict (DETAIL = actual version); UE002 an event id
-- already recorded with other content.
CREATE FUNCTION append_events(
    p_stream_id       text,
    p_expected        bigint,
    p_event_ids       uuid[],
    p_event_types     text[],
    p_schema_versions integer[],
    p_data            text[],
    p_metadata        text[]
) RETURNS TABLE (out_position bigint, out_version integer,
                 out_recorded_at timestamptz, out_hash text, out_replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    n           integer := cardinality(p_event_ids);
    v_stream_type text  := split_part(p_stream_id, '-', 1);
    n_found     integer;
    head_pos    bigint;
    head_hash   text;
    stream_ver  integer;
    now_ts      timestamptz;
    now_text    text;
    canonical   text;
    new_hash    text;
BEGIN
    IF n IS NULL OR n = 0 THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(1970170223);

    -- Idempotent by event id: the same events again return their positions.
    IF EXISTS (SELECT FROM events e WHERE e.event_id = ANY (p_event_ids)) THEN
        SELECT count(*) INTO n_found FROM events e WHERE e.event_id = ANY (p_event_ids);
        IF n_found = n AND NOT EXISTS (
            SELECT 1
              FROM unnest(p_event_ids, p_event_types, p_data) AS x(id, etype, d)
              LEFT JOIN events e ON e.event_id = x.id
             WHERE e.event_id IS NULL OR e.stream_id <> p_stream_id
                OR e.event_type <> x.etype OR e.data <> x.d::jsonb
        ) THEN
            RETURN QUERY
                SELECT e.position, e.version, e.recorded_at, e.hash, true
                  FROM events e WHERE e.event_id = ANY (p_event_ids) ORDER BY e.position;
            RETURN;
        END IF;
        RAISE EXCEPTION 'event id already recorded with other content'
            USING ERRCODE = 'UE002',
                  DETAIL = (SELECT string_agg(e.event_id::text, ',')
                              FROM events e WHERE e.event_id = ANY (p_event_ids));
    END IF;

    -- ORDER BY .. LIMIT 1, not max(): a backward scan of one index entry
    -- whatever the planner's estimate of the stream's length.
    SELECT e.version INTO stream_ver
      FROM events e WHERE e.stream_id = p_stream_id ORDER BY e.version DESC LIMIT 1;
    stream_ver := coalesce(stream_ver, 0);
    IF p_expected >= 0 AND p_expected <> stream_ver THEN
        RAISE EXCEPTION 'stream % is at version %, expected %', p_stream_id, stream_ver, p_expected
            USING ERRCODE = 'UE001', DETAIL = stream_ver::text;
    END IF;

    SELECT e.position, e.hash INTO head_pos, head_hash
      FROM events e ORDER BY e.position DESC LIMIT 1;
    IF NOT FOUND THEN
        head_pos := 0;
        head_hash := repeat('0', 64);
    END IF;

    now_ts := date_trunc('microseconds', clock_timestamp());
    now_text := to_char(now_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');

    FOR i IN 1 .. n LOOP
        head_pos := head_pos + 1;
        stream_ver := stream_ver + 1;
        -- The canonical record: keys in code-point order, no whitespace.
        canonical := '{"data":' || p_data[i]
            || ',"event_id":"' || p_event_ids[i]::text
            || '","event_type":"' || p_event_types[i]
            || '","metadata":' || p_metadata[i]
            || ',"position":' || head_pos
            || ',"recorded_at":"' || now_text
            || '","schema_version":' || p_schema_versions[i]
            || ',"stream_id":"' || p_stream_id
            || '","stream_type":"' || v_stream_type
            || '","version":' || stream_ver || '}';
        new_hash := encode(sha256(decode(head_hash, 'hex') || convert_to(canonical, 'UTF8')), 'hex');
        INSERT INTO events (position, stream_id, stream_type, version, event_id, event_type,
                            schema_version, data, metadata, recorded_at, prev_hash, hash)
        VALUES (head_pos, p_stream_id, v_stream_type, stream_ver, p_event_ids[i], p_event_types[i],
                p_schema_versions[i], p_data[i]::jsonb, p_metadata[i]::jsonb, now_ts,
                head_hash, new_hash);
        head_hash := new_hash;
        out_position := head_pos;
        out_version := stream_ver;
        out_recorded_at := now_ts;
        out_hash := new_hash;
        out_replayed := false;
        RETURN NEXT;
    END LOOP;
END $$;
