-- One event per append is the common case. append_event() takes that event
-- as plain parameters and returns its row as one record, where append_events()
-- takes five arrays, indexes into them and returns a set; for one event that
-- made the whole append about a tenth slower (README, Benchmarks). Both take
-- the same lock and refuse the same things the same way, and both hash the row
-- with event_hash(), so the chain has one definition in SQL.

-- The canonical record of docs/audit.md and its chain hash:
-- hex(SHA-256(prev_hash's bytes || UTF-8 of the record)). p_data and p_metadata
-- are the canonical JSON texts; keys in code-point order, no whitespace.
-- Written as one expression so the planner inlines it where it is called.
CREATE FUNCTION event_hash(
    p_prev_hash      text,
    p_position       bigint,
    p_stream_id      text,
    p_stream_type    text,
    p_version        integer,
    p_event_id       uuid,
    p_event_type     text,
    p_schema_version integer,
    p_data           text,
    p_metadata       text,
    p_recorded_at    timestamptz
) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT encode(sha256(decode(p_prev_hash, 'hex') || convert_to(
        '{"data":' || p_data
        || ',"event_id":"' || p_event_id::text
        || '","event_type":"' || p_event_type
        || '","metadata":' || p_metadata
        || ',"position":' || p_position
        || ',"recorded_at":"'
        || to_char(p_recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
        || '","schema_version":' || p_schema_version
        || ',"stream_id":"' || p_stream_id
        || '","stream_type":"' || p_stream_type
        || '","version":' || p_version || '}', 'UTF8')), 'hex')
$$;

-- As in migration 0001, with the hash taken from event_hash().
CREATE OR REPLACE FUNCTION append_events(
    p_stream_id       text,
    p_expected        bigint,
    p_event_ids       uuid[],
    p_event_types     text[],
    p_schema_versions integer[],
    p_data            text[],
    p_metadata        text[]
) RETURNS TABLE (out_position bigint, out_version integer,
                 out_recorded_at timestamptz, out_hash text, out_replayed boolean)
LANGUAGE plpgsql
SET enable_seqscan = off  -- migration 0002: plans made on an empty log stay index-only
AS $$
DECLARE
    n           integer := cardinality(p_event_ids);
    v_stream_type text  := split_part(p_stream_id, '-', 1);
    n_found     integer;
    head_pos    bigint;
    head_hash   text;
    stream_ver  integer;
    now_ts      timestamptz;
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

    FOR i IN 1 .. n LOOP
        head_pos := head_pos + 1;
        stream_ver := stream_ver + 1;
        new_hash := event_hash(head_hash, head_pos, p_stream_id, v_stream_type, stream_ver,
                               p_event_ids[i], p_event_types[i], p_schema_versions[i],
                               p_data[i], p_metadata[i], now_ts);
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

-- One event. The three reads (is the id recorded, the stream's version, the
-- log's head) are one statement. A recorded id goes to append_events(), which
-- returns the recorded row or refuses other content (UE002), as before the
-- version check: a retry with a version that has since moved still replays.
CREATE FUNCTION append_event(
    p_stream_id      text,
    p_expected       bigint,
    p_event_id       uuid,
    p_event_type     text,
    p_schema_version integer,
    p_data           text,
    p_metadata       text,
    OUT out_position    bigint,
    OUT out_version     integer,
    OUT out_recorded_at timestamptz,
    OUT out_hash        text,
    OUT out_replayed    boolean
)
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
DECLARE
    v_stream_type text := split_part(p_stream_id, '-', 1);
    recorded      boolean;
    prev_hash     text;
BEGIN
    PERFORM pg_advisory_xact_lock(1970170223);
    SELECT EXISTS (SELECT FROM events e WHERE e.event_id = p_event_id),
           coalesce((SELECT e.version FROM events e WHERE e.stream_id = p_stream_id
                      ORDER BY e.version DESC LIMIT 1), 0),
           coalesce(h.position, 0), coalesce(h.hash, repeat('0', 64))
      INTO recorded, out_version, out_position, prev_hash
      FROM (SELECT) AS one
      LEFT JOIN LATERAL (SELECT e.position, e.hash FROM events e
                          ORDER BY e.position DESC LIMIT 1) AS h ON true;
    IF recorded THEN
        SELECT * INTO out_position, out_version, out_recorded_at, out_hash, out_replayed
          FROM append_events(p_stream_id, p_expected, ARRAY[p_event_id], ARRAY[p_event_type],
                             ARRAY[p_schema_version], ARRAY[p_data], ARRAY[p_metadata]);
        RETURN;
    END IF;
    IF p_expected >= 0 AND p_expected <> out_version THEN
        RAISE EXCEPTION 'stream % is at version %, expected %', p_stream_id, out_version, p_expected
            USING ERRCODE = 'UE001', DETAIL = out_version::text;
    END IF;
    out_position := out_position + 1;
    out_version := out_version + 1;
    out_recorded_at := date_trunc('microseconds', clock_timestamp());
    out_hash := event_hash(prev_hash, out_position, p_stream_id, v_stream_type, out_version,
                           p_event_id, p_event_type, p_schema_version, p_data, p_metadata,
                           out_recorded_at);
    INSERT INTO events (position, stream_id, stream_type, version, event_id, event_type,
                        schema_version, data, metadata, recorded_at, prev_hash, hash)
    VALUES (out_position, p_stream_id, v_stream_type, out_version, p_event_id, p_event_type,
            p_schema_version, p_data::jsonb, p_metadata::jsonb, out_recorded_at,
            prev_hash, out_hash);
    out_replayed := false;
END $$;
