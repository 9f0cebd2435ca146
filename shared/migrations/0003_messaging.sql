-- Messaging: the relay's cursor (the outbox is the log itself) and the inbox.

-- The last position whose publication the broker confirmed. One row; moves
-- forward only, and only after a confirm, so a relay that dies resumes here
-- and publishes at least once.
CREATE TABLE relay_cursor (
    singleton   boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    position    bigint      NOT NULL CHECK (position >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO relay_cursor (position) VALUES (0);

CREATE FUNCTION relay_cursor_forward_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.position < OLD.position THEN
        RAISE EXCEPTION 'the relay cursor moves forward only (% -> %)', OLD.position, NEW.position
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER relay_cursor_forward
    BEFORE UPDATE ON relay_cursor
    FOR EACH ROW EXECUTE FUNCTION relay_cursor_forward_only();

-- Wakes a listening relay when events commit (delivered at commit, and only
-- then, so the relay never sees an event that could still roll back).
CREATE FUNCTION events_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('union_events', '');
    RETURN NULL;
END $$;

CREATE TRIGGER events_appended
    AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_notify();

-- One row per message a handler has taken effect for: a redelivery finds the
-- row and does nothing. The row is written in the handler's own transaction.
CREATE TABLE inbox (
    source      text        NOT NULL CHECK (source <> ''),
    message_id  text        NOT NULL CHECK (message_id <> '' AND length(message_id) <= 200),
    handler     text        NOT NULL CHECK (handler <> ''),
    source_position bigint,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, message_id, handler)
);

DO $$
DECLARE r text := current_setting('union.service_role');
BEGIN
    EXECUTE format('REVOKE ALL ON relay_cursor, inbox FROM PUBLIC');
    EXECUTE format('GRANT SELECT, UPDATE ON relay_cursor TO %I', r);
    EXECUTE format('GRANT SELECT, INSERT ON inbox TO %I', r);
END $$;
