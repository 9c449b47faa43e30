-- The event bus's tables, present in every service database that produces or consumes events.
--
-- outbox: events written in the same transaction as the state change they describe. `seq` is
-- the commit-order cursor of the relay; rows are kept after publishing for `meshctl outbox
-- status` and debugging, and pruned by the relay after a retention period.
CREATE TABLE outbox (
  seq            bigserial PRIMARY KEY,
  id             uuid NOT NULL UNIQUE,
  topic          text NOT NULL,
  key            text NOT NULL,
  type           text NOT NULL,
  version        integer NOT NULL,
  value          text NOT NULL,          -- the encoded envelope, exactly what goes to Kafka
  traceparent    text,
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  published_at   timestamptz,
  attempts       integer NOT NULL DEFAULT 0,
  last_error     text
);
CREATE INDEX outbox_unpublished_idx ON outbox (seq) WHERE published_at IS NULL;

-- Wake the relay at commit time (NOTIFY is delivered on commit, never for a rolled-back insert).
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- inbox: ids of events whose effect has been applied, per consumer group, inserted in the same
-- transaction as the effect; a redelivered event finds its id here and is skipped.
CREATE TABLE inbox (
  consumer_group text NOT NULL,
  event_id       uuid NOT NULL,
  type           text NOT NULL,
  topic          text NOT NULL,
  partition      integer NOT NULL,
  "offset"       bigint NOT NULL,
  processed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (consumer_group, event_id)
);
