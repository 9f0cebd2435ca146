-- Group commit: several appends that arrive together, recorded in one
-- transaction and one commit (shared/group_commit.py).
--
-- Each request is appended by append_events() exactly as if it had come alone,
-- in the order given, inside a subtransaction of its own: a request that fails
-- (a version conflict, a clashing event id, a check) rolls back alone and
-- reports its error in its row, and the others are still recorded. Positions
-- stay contiguous because a failed request's rows are gone before the next
-- request reads the head.
--
-- The events of request k are the slice of the event arrays that follows the
-- events of requests 1 .. k-1 (p_counts[k] of them). One row per request comes
-- back: its positions, versions and hashes, or its SQLSTATE, message, detail
-- and constraint.
CREATE FUNCTION append_batch(
    p_stream_ids      text[],
    p_expected        bigint[],
    p_counts          integer[],
    p_event_ids       uuid[],
    p_event_types     text[],
    p_schema_versions integer[],
    p_data            text[],
    p_metadata        text[]
) RETURNS TABLE (out_request integer, out_positions bigint[], out_versions integer[],
                 out_recorded_at timestamptz, out_hashes text[], out_replayed boolean,
                 out_sqlstate text, out_message text, out_detail text, out_constraint text)
LANGUAGE plpgsql AS $$
DECLARE
    lo integer := 1;
    hi integer;
BEGIN
    -- Taken once for the whole batch, outside the subtransactions, so a failed
    -- request cannot let another appender in between two of ours.
    PERFORM pg_advisory_xact_lock(1970170223);
    FOR k IN 1 .. coalesce(cardinality(p_stream_ids), 0) LOOP
        hi := lo + p_counts[k] - 1;
        out_request := k;
        out_sqlstate := NULL;
        out_message := NULL;
        out_detail := NULL;
        out_constraint := NULL;
        BEGIN
            SELECT array_agg(a.out_position ORDER BY a.out_position),
                   array_agg(a.out_version ORDER BY a.out_position),
                   min(a.out_recorded_at),
                   array_agg(a.out_hash ORDER BY a.out_position),
                   bool_and(a.out_replayed)
              INTO out_positions, out_versions, out_recorded_at, out_hashes, out_replayed
              FROM append_events(p_stream_ids[k], p_expected[k], p_event_ids[lo:hi],
                                 p_event_types[lo:hi], p_schema_versions[lo:hi],
                                 p_data[lo:hi], p_metadata[lo:hi]) a;
        EXCEPTION WHEN OTHERS THEN
            out_positions := NULL;
            out_versions := NULL;
            out_recorded_at := NULL;
            out_hashes := NULL;
            out_replayed := NULL;
            GET STACKED DIAGNOSTICS out_sqlstate = RETURNED_SQLSTATE,
                                    out_message = MESSAGE_TEXT,
                                    out_detail = PG_EXCEPTION_DETAIL,
                                    out_constraint = CONSTRAINT_NAME;
        END;
        RETURN NEXT;
        lo := hi + 1;
    END LOOP;
END $$;
