-- Shipments: one per order. A row may be opened by whichever of the order's events arrives
-- first (order.events and stock.events are separate topics, so STOCK_RESERVED can overtake
-- ORDER_CREATED); `announced` says whether ORDER_CREATED has been applied, i.e. whether the
-- shipment's owner and address are known and SHIPMENT_CREATED has been published.
CREATE TABLE shipments (
  id               uuid PRIMARY KEY,
  order_id         uuid NOT NULL UNIQUE,
  user_id          uuid,
  status           text NOT NULL CHECK (status IN ('PENDING', 'READY', 'SHIPPED', 'DELIVERED', 'CANCELLED')),
  tracking_number  text UNIQUE,
  address          jsonb,
  announced        boolean NOT NULL DEFAULT false,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (tracking_number IS NOT NULL OR status IN ('PENDING', 'CANCELLED'))
);
CREATE INDEX shipments_user_idx ON shipments (user_id, created_at DESC, id DESC);
CREATE INDEX shipments_created_idx ON shipments (created_at DESC, id DESC);
