-- Credentials, sessions (refresh-token families), refresh tokens and signing keys.
--
-- credentials: one row per account. The e-mail is unique case-insensitively among live accounts;
-- a deleted account keeps its row (so its id is never reused and late events find it) but frees
-- its address. password_hash is an Argon2id encoded string, parameters included.
CREATE TABLE credentials (
  user_id             uuid PRIMARY KEY,
  email               text NOT NULL,
  name                text NOT NULL,
  password_hash       text NOT NULL,
  role                text NOT NULL CHECK (role IN ('USER', 'ADMIN')),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  last_login_at       timestamptz,
  -- revokedAt of the latest SESSION_REVOKED that covered every session of the account: access
  -- tokens issued later get an iat past its second, so gateways (which compare whole seconds)
  -- do not take them for revoked ones.
  sessions_revoked_at timestamptz,
  deleted_at          timestamptz
);
CREATE UNIQUE INDEX credentials_email_live_uq ON credentials (lower(email)) WHERE deleted_at IS NULL;

-- sessions: a refresh-token family; its id is the `sid` claim of every access token it issues.
CREATE TABLE sessions (
  id             uuid PRIMARY KEY,
  user_id        uuid NOT NULL REFERENCES credentials (user_id),
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_used_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at     timestamptz,
  revoked_reason text
);
CREATE INDEX sessions_user_live_idx ON sessions (user_id) WHERE revoked_at IS NULL;

-- refresh_tokens: only the SHA-256 of each opaque token is stored. A token is used once: using
-- it sets used_at and issues its successor in the same family; presenting a used token again is
-- reuse, which revokes the family.
CREATE TABLE refresh_tokens (
  token_hash  text PRIMARY KEY,  -- hex SHA-256
  session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  issued_at   timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- signing_keys: RS256 key pairs, newest first is current; the JWKS lists the newest two.
-- private_pem is PKCS#8 PEM, encrypted with JWT_KEY_PASSPHRASE when that is set.
CREATE TABLE signing_keys (
  kid         text PRIMARY KEY,
  private_pem text NOT NULL,
  encrypted   boolean NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
