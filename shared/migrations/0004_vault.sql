-- The vault: personal data per subject, encrypted with a key of the subject's
-- own (shared/vault.py). Events reference the subject id, never the values.

-- One data key per subject, wrapped with the service's master key. Deleting the
-- row is the erasure (crypto-shredding): the ciphertexts stay and the log that
-- refers to them stays intact, but nobody can read them any more.
CREATE TABLE vault_keys (
    subject_id  text        PRIMARY KEY CHECK (subject_id <> ''),
    wrapped_key bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Every value ever put, one row per version: a correction is a new version,
-- so what was held and when stays answerable until the subject is erased.
CREATE TABLE vault_values (
    subject_id  text        NOT NULL CHECK (subject_id <> ''),
    field       text        NOT NULL CHECK (field <> ''),
    version     integer     NOT NULL CHECK (version > 0),
    ciphertext  bytea       NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject_id, field, version)
);

-- Values are never rewritten or removed: erasure destroys the key instead, so
-- an UPDATE or DELETE here could only be an attempt to forge or hide history.
CREATE FUNCTION vault_values_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the vault keeps every version: % on vault_values is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER vault_values_no_update_delete
    BEFORE UPDATE OR DELETE ON vault_values
    FOR EACH ROW EXECUTE FUNCTION vault_values_refuse_change();

CREATE TRIGGER vault_values_no_truncate
    BEFORE TRUNCATE ON vault_values
    FOR EACH STATEMENT EXECUTE FUNCTION vault_values_refuse_change();

DO $$
DECLARE r text := current_setting('union.service_role');
BEGIN
    EXECUTE format('REVOKE ALL ON vault_keys, vault_values FROM PUBLIC');
    EXECUTE format('GRANT SELECT, INSERT ON vault_values TO %I', r);
    -- DELETE is the erasure; there is no UPDATE, so a key is never replaced.
    EXECUTE format('GRANT SELECT, INSERT, DELETE ON vault_keys TO %I', r);
END $$;
