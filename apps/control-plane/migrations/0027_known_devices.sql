-- The user's own security (issue 14, slice 2c): devices seen at sign-in and the built-in
-- provider's sessions with the device they were opened from.
--
-- `known_devices`: one row per (user, device key). The key is a hash of the user agent's
-- family (browser and operating system, not its version) and the client address's network
-- (/24 for IPv4, /64 for IPv6), so a browser update or a new DHCP lease is not a new device.
-- A successful built-in sign-in with a key not seen for the user publishes `auth.new_device`
-- (not the first sign-in ever of the account: it has nothing to compare with).
CREATE TABLE known_devices (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  device_hash text NOT NULL,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, device_hash)
);

-- `user_sessions`: what oidc-provider's Session payload does not hold (oidc_payloads, kind
-- 'Session'): the user agent and address it was opened from and when it was last used. Keyed
-- by the session's `uid` (never its id, which is the session cookie's value).
-- A row outlives its session at most until the session's own expiry: listings join the live
-- Session rows, and ending a session deletes both.
CREATE TABLE user_sessions (
  session_uid text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  user_agent text,
  ip_address text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id, last_seen_at DESC);
