-- append_events() runs in long-lived pooled sessions, and PL/pgSQL keeps each
-- statement's generic plan for the life of the session. A plan made while the
-- log was nearly empty (a fresh service, or statistics never gathered) may scan
-- the whole table for the event-id check, which made every append cost O(log
-- size). Every statement in the function has an index path by design, so
-- sequential scans are simply ruled out inside it.
ALTER FUNCTION append_events(text, bigint, uuid[], text[], integer[], text[], text[])
    SET enable_seqscan = off;
