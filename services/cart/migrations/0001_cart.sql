-- Carts: one line per user and product. Prices are not stored: a cart always shows the catalog's
-- current prices. `checkouts` binds a checkout's Idempotency-Key to its body and the order made.
CREATE TABLE cart_items (
  user_id     uuid NOT NULL,
  product_id  uuid NOT NULL,
  quantity    integer NOT NULL CHECK (quantity BETWEEN 1 AND 100),
  added_at    timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, product_id)
);

CREATE TABLE checkouts (
  user_id          uuid NOT NULL,
  idempotency_key  text NOT NULL,
  request_hash     text NOT NULL,
  order_id         uuid NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, idempotency_key)
);
