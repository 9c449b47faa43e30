-- Orders that name a product this service has not heard of yet wait for it.
--
-- The orders service prices an order from the catalog, so every product of an ORDER_CREATED
-- exists; a level missing here only means that PRODUCT_CREATED (another topic, another relay)
-- has not arrived yet, typically for a product created a moment before the order. Rejecting
-- such an order UNKNOWN_PRODUCT turned a race into a lost sale. The order is parked instead,
-- with the context of its ORDER_CREATED, and decided when the level opens (the PRODUCT_CREATED
-- consumer and a periodic sweep retry it); only after STOCK_UNKNOWN_PRODUCT_WAIT_MS is it
-- rejected UNKNOWN_PRODUCT. A deleted product (an inactive level) is still rejected at once.
CREATE TABLE parked_orders (
  order_id        uuid PRIMARY KEY,
  product_ids     uuid[] NOT NULL,     -- distinct, in id order
  quantities      bigint[] NOT NULL,   -- per product
  correlation_id  text NOT NULL,
  causation_id    text NOT NULL,
  traceparent     text NOT NULL,
  parked_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX parked_orders_products_idx ON parked_orders USING gin (product_ids);

-- reserve_orders (0003) with p_may_wait: when true, an order with a line whose product has no
-- level gets one row 'WAITING' (NULLs) and no decision; when false, it is 'REFUSED' as before.
DROP FUNCTION reserve_orders(uuid[], integer[], uuid[], bigint[]);

CREATE FUNCTION reserve_orders(p_orders uuid[], p_counts integer[], p_products uuid[], p_quantities bigint[],
                               p_may_wait boolean)
RETURNS TABLE (o_order integer, o_status text, o_product text, o_available bigint, o_active boolean)
LANGUAGE plpgsql AS $$
DECLARE
  lv_product uuid[];
  lv_available bigint[];
  lv_found bigint[];
  lv_active boolean[];
  decided uuid[];
  line_from integer := 1;
  line_to integer;
  k integer;
  fits boolean;
  waiting boolean;
  taken_order uuid[] := '{}';
  taken_product uuid[] := '{}';
  taken_quantity bigint[] := '{}';
  decision_order uuid[] := '{}';
  decision_outcome text[] := '{}';
BEGIN
  SELECT coalesce(array_agg(l.product_id ORDER BY l.product_id), '{}'),
         coalesce(array_agg(l.available ORDER BY l.product_id), '{}'),
         coalesce(array_agg(l.active ORDER BY l.product_id), '{}')
    INTO lv_product, lv_available, lv_active
    FROM (SELECT v.product_id, v.available, v.active FROM levels v
           WHERE v.product_id = ANY (p_products) ORDER BY v.product_id FOR UPDATE) AS l;
  lv_found := lv_available;
  SELECT coalesce(array_agg(d.order_id), '{}') INTO decided FROM order_decisions d WHERE d.order_id = ANY (p_orders);

  FOR i IN 1 .. coalesce(cardinality(p_orders), 0) LOOP
    line_to := line_from + p_counts[i] - 1;
    o_order := i;
    waiting := false;
    IF p_may_wait AND NOT p_orders[i] = ANY (decided) THEN
      FOR j IN line_from .. line_to LOOP
        waiting := waiting OR array_position(lv_product, p_products[j]) IS NULL;
      END LOOP;
    END IF;
    IF p_orders[i] = ANY (decided) OR waiting THEN
      o_status := CASE WHEN waiting THEN 'WAITING' ELSE 'DECIDED' END;
      o_product := NULL; o_available := NULL; o_active := NULL;
      RETURN NEXT;
    ELSE
      fits := p_counts[i] > 0;
      FOR j IN line_from .. line_to LOOP
        k := array_position(lv_product, p_products[j]);
        IF k IS NULL OR NOT lv_active[k] OR lv_available[k] < p_quantities[j] THEN
          fits := false;
        END IF;
      END LOOP;
      FOR j IN line_from .. line_to LOOP
        k := array_position(lv_product, p_products[j]);
        CONTINUE WHEN k IS NULL;
        IF fits THEN
          lv_available[k] := lv_available[k] - p_quantities[j];
          taken_order := taken_order || p_orders[i];
          taken_product := taken_product || p_products[j];
          taken_quantity := taken_quantity || p_quantities[j];
        END IF;
        o_status := CASE WHEN fits THEN 'RESERVED' ELSE 'REFUSED' END;
        o_product := p_products[j]::text; o_available := lv_available[k]; o_active := lv_active[k];
        RETURN NEXT;
      END LOOP;
      decision_order := decision_order || p_orders[i];
      decision_outcome := decision_outcome || CASE WHEN fits THEN 'RESERVED' ELSE 'REJECTED' END;
      decided := decided || p_orders[i];
    END IF;
    line_from := line_to + 1;
  END LOOP;

  UPDATE levels l SET available = v.now_available, reserved = l.reserved + (v.was_available - v.now_available),
                      updated_at = now()
    FROM unnest(lv_product, lv_available, lv_found) AS v (product_id, now_available, was_available)
   WHERE l.product_id = v.product_id AND v.now_available <> v.was_available;
  INSERT INTO reservations (order_id, product_id, quantity, status)
    SELECT t.o, t.p, t.q, 'RESERVED' FROM unnest(taken_order, taken_product, taken_quantity) AS t (o, p, q);
  -- Plain INSERT: an order decided concurrently since the look above fails the whole run, which
  -- the consumer then applies one message at a time.
  INSERT INTO order_decisions (order_id, outcome)
    SELECT d.o, d.c FROM unnest(decision_order, decision_outcome) AS d (o, c);
END $$;
