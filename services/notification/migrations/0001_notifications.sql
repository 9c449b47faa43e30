-- Notifications and the small projection of users they need (e-mail, name), kept from
-- USER_REGISTERED / USER_DELETED.
CREATE TABLE users (
  user_id        uuid PRIMARY KEY,
  email          text NOT NULL,
  name           text NOT NULL,
  registered_at  timestamptz NOT NULL DEFAULT now(),
  deleted_at     timestamptz
);

-- One row per (event, user), written in the consumer's transaction. E-mails are sent later by the
-- sender, outside any transaction, with retries: `next_attempt_at` doubles as the claim lease of
-- the attempt in progress; `failed_at` is set when the sender gives up.
CREATE TABLE notifications (
  id               uuid PRIMARY KEY,
  event_id         uuid NOT NULL,
  user_id          uuid NOT NULL,
  type             text NOT NULL,
  channel          text NOT NULL CHECK (channel IN ('EMAIL', 'IN_APP')),
  subject          text NOT NULL,
  body             text NOT NULL,
  order_id         uuid,
  correlation_id   text NOT NULL,
  traceparent      text,
  created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  delivered_at     timestamptz,
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  last_error       text,
  failed_at        timestamptz,
  UNIQUE (event_id, user_id)
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_pending_idx ON notifications (next_attempt_at)
  WHERE delivered_at IS NULL AND failed_at IS NULL;

-- Wake the sender when an e-mail is waiting (delivered on commit only).
CREATE FUNCTION notifications_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('notifications', '');
  RETURN NULL;
END $$;
CREATE TRIGGER notifications_notify AFTER INSERT ON notifications
  FOR EACH ROW WHEN (NEW.delivered_at IS NULL) EXECUTE FUNCTION notifications_notify();
