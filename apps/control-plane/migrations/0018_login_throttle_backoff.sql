-- Sign-in throttling of the built-in identity provider (issue 12). Replaces login_failures,
-- whose separate "count, then record" steps let concurrent attempts overtake the limit and
-- whose per-email lockout let anyone lock a victim out.
--
-- login_throttle: one row per (account email, client address). An attempt is counted before
-- its password is checked, in the same locked upsert that decides whether it may be checked
-- now (next_allowed_at), so N concurrent attempts are admitted one at a time. After the free
-- attempts each one pushes next_allowed_at out exponentially (capped); a successful sign-in
-- deletes the row. Other addresses of the same account are not affected.
DROP TABLE login_failures;

CREATE TABLE login_throttle (
  email text NOT NULL,
  ip_address text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_allowed_at timestamptz NOT NULL DEFAULT now(),
  last_attempt_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (email, ip_address)
);
CREATE INDEX login_throttle_last_attempt_idx ON login_throttle (last_attempt_at);

-- Coarse per-address limit against password spraying across accounts: attempts per fixed
-- window, a successful sign-in gives its attempt back.
CREATE TABLE login_address_throttle (
  ip_address text PRIMARY KEY,
  window_started_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0
);
CREATE INDEX login_address_throttle_window_idx ON login_address_throttle (window_started_at);
