-- User profiles. A profile is keyed by the account id that auth assigns; it is created by auth's
-- synchronous call at registration, by the USER_REGISTERED event (the safety net), or on first
-- read from the gateway's identity headers (provisional: name filled in later by the event).
-- Deleted profiles keep their row (soft delete), so a late USER_REGISTERED cannot resurrect them.
CREATE TABLE profiles (
  id                  uuid PRIMARY KEY,
  email               text NOT NULL,
  name                text NOT NULL,
  phone               text,
  address_line1       text,
  address_line2       text,
  address_city        text,
  address_postal_code text,
  address_country     char(2),
  provisional         boolean NOT NULL DEFAULT false,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  deleted_at          timestamptz,
  CHECK ((address_line1 IS NULL) = (address_city IS NULL)
     AND (address_line1 IS NULL) = (address_postal_code IS NULL)
     AND (address_line1 IS NULL) = (address_country IS NULL))
);
-- E-mail uniqueness is auth's rule (it owns credentials); this copy is only searched.
CREATE INDEX profiles_email_idx ON profiles (lower(email)) WHERE deleted_at IS NULL;
CREATE INDEX profiles_created_idx ON profiles (created_at DESC, id DESC) WHERE deleted_at IS NULL;
