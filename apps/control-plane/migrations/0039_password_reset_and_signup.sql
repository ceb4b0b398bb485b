-- Built-in identity provider (issue 17 item 9, issue 15): "Forgot password?" and sign-up that
-- joins organizations by verified email domain. Both are platform tables (an account spans
-- tenants; nobody reads them but the provider's own pages). Tokens go out by mail only: the
-- database keeps their SHA-256, so a leaked table grants nothing.

-- One row per reset link. A new request for the same account deletes the older unused links
-- (they stop working); a used one keeps used_at so its page can say so.
CREATE TABLE password_reset_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX password_reset_tokens_user_idx ON password_reset_tokens (user_id);

-- A sign-up waiting for its email to be confirmed: the account (name, scrypt hash of the chosen
-- password) is created only when the mailed link is followed, if the address still has none.
CREATE TABLE signup_verifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  name text NOT NULL,
  password_hash text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX signup_verifications_email_idx ON signup_verifications (lower(email));
