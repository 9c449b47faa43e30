-- The reservations of a run of orders in one round trip, writing each levels row once.
--
-- The stock consumer applies the orders of a Kafka batch in one transaction. With reserve_order
-- (0002) called once per order, the lock of a popular product's levels row was held across one
-- round trip per order of the batch, every other worker waited behind it, and each order added
-- a version of that row for the next lookup to walk past. reserve_orders locks the levels of all
-- the orders at once, in product id order (the lock order of every writer of several levels, so
-- two runs never deadlock), decides the orders one after another on the locked values, then
-- writes each level, the reservations and the decisions once, set-based.
--
-- Order i of p_orders has p_counts[i] lines: the next ones of p_products / p_quantities (distinct
-- products within an order). One row per line, with the position of its order (1-based):
--   'RESERVED': each product with its available count after this order's reservation;
--   'REFUSED':  each level found (as this order saw it), for the caller to say why;
--   'DECIDED':  one row with NULLs: the order was decided before (a redelivery) or earlier in the run.
DROP FUNCTION reserve_order(uuid, uuid[], bigint[]);

CREATE FUNCTION reserve_orders(p_orders uuid[], p_counts integer[], p_products uuid[], p_quantities bigint[])
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
    IF p_orders[i] = ANY (decided) THEN
      o_status := 'DECIDED'; o_product := NULL; o_available := NULL; o_active := NULL;
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
