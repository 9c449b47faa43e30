-- Failed password checks per account, whatever the source address (OWASP ASVS V2.2.1): login,
-- the OAuth2 form login and password change all count here, keyed by the lower-cased e-mail
-- (also for addresses with no account, so a lock says nothing about which accounts exist).
-- After 5 consecutive failures each further failure locks the account's password checks for a
-- growing delay (1 s, 2 s, 4 s, ... capped at 60 s): at most about 100 failures an hour, and the
-- real user waits a minute at worst. A success deletes the row; failures older than an hour no
-- longer count as consecutive.
CREATE TABLE login_failures (
  subject          text PRIMARY KEY,
  failures         integer NOT NULL,
  last_failure_at  timestamptz NOT NULL,
  locked_until     timestamptz
);
