-- Orders and their lines. Amounts are integer cents (USD); names and prices are copied from the
-- catalog when the order is placed. Status changes are conditional updates on `status`.
CREATE TABLE orders (
  id                   uuid PRIMARY KEY,
  user_id              uuid NOT NULL,
  status               text NOT NULL
                         CHECK (status IN ('PENDING', 'CONFIRMED', 'REJECTED', 'CANCELLED', 'SHIPPED', 'DELIVERED')),
  status_reason        text,
  total_cents          bigint NOT NULL CHECK (total_cents >= 0),
  currency             char(3) NOT NULL DEFAULT 'USD',
  ship_line1           text,
  ship_line2           text,
  ship_city            text,
  ship_postal_code     text,
  ship_country         text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_user_idx ON orders (user_id, created_at DESC, id DESC);
CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);
CREATE INDEX orders_status_idx ON orders (status, created_at DESC);

CREATE TABLE order_items (
  order_id          uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  line_no           integer NOT NULL,
  product_id        uuid NOT NULL,
  product_name      text NOT NULL,
  unit_price_cents  bigint NOT NULL CHECK (unit_price_cents >= 0),
  quantity          integer NOT NULL CHECK (quantity > 0),
  subtotal_cents    bigint NOT NULL CHECK (subtotal_cents = unit_price_cents * quantity),
  PRIMARY KEY (order_id, line_no)
);

-- Idempotency-Key per user: the SHA-256 of the canonical request body and the order it created.
-- The same key with the same body returns that order; with another body it is refused.
CREATE TABLE idempotency_keys (
  user_id       uuid NOT NULL,
  key           text NOT NULL,
  request_hash  text NOT NULL,
  order_id      uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);
