-- Stock levels and reservations. The stock service owns the levels: the catalog's PRODUCT_CREATED
-- opens a level, orders reserve and release through events, administrators adjust it (through
-- the products service). CHECK constraints make "below zero" impossible whatever the code does.
CREATE TABLE levels (
  product_id  uuid PRIMARY KEY,
  available   bigint NOT NULL CHECK (available >= 0),
  reserved    bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  active      boolean NOT NULL DEFAULT true,   -- false once the product is deleted: no new reservations
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per order and product; a cancelled order's rows move to RELEASED (never deleted).
CREATE TABLE reservations (
  order_id     uuid NOT NULL,
  product_id   uuid NOT NULL REFERENCES levels (product_id),
  quantity     bigint NOT NULL CHECK (quantity > 0),
  status       text NOT NULL CHECK (status IN ('RESERVED', 'RELEASED')),
  reserved_at  timestamptz NOT NULL DEFAULT now(),
  released_at  timestamptz,
  PRIMARY KEY (order_id, product_id)
);
CREATE INDEX reservations_product_idx ON reservations (product_id) WHERE status = 'RESERVED';

-- The decision taken for each order, so that an order is reserved at most once even if its
-- ORDER_CREATED is seen again under another event id (a replay to the topic), and a cancelled
-- order is never reserved afterwards.
CREATE TABLE order_decisions (
  order_id    uuid PRIMARY KEY,
  outcome     text NOT NULL CHECK (outcome IN ('RESERVED', 'REJECTED', 'CANCELLED')),
  reason      text,
  decided_at  timestamptz NOT NULL DEFAULT now()
);
