-- An order's reservation in one round trip: under load the levels row of a popular product is
-- the hot spot, and its lock is held from the first statement of the reserving transaction to
-- its commit, so every round trip taken while holding it slows every other reservation.
--
-- reserve_order claims the order's decision (a second attempt for the same order finds it taken
-- and gets one 'DECIDED' row), locks the levels in product id order (the lock order of every
-- writer of several levels), and reserves all lines or none:
--   'RESERVED' rows: each product with its available count after the reservation;
--   'REFUSED' rows:  each level found (before), for the caller to say why (unknown or short).
-- The products must be distinct (the caller merges the lines).
CREATE FUNCTION reserve_order(p_order uuid, p_products uuid[], p_quantities bigint[])
RETURNS TABLE (o_status text, o_product text, o_available bigint, o_active boolean)
LANGUAGE plpgsql AS $$
DECLARE
  fit integer;
  taken integer;
BEGIN
  INSERT INTO order_decisions (order_id, outcome) VALUES (p_order, 'REJECTED') ON CONFLICT (order_id) DO NOTHING;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'DECIDED'::text, NULL::text, NULL::bigint, NULL::boolean;
    RETURN;
  END IF;
  PERFORM 1 FROM levels l WHERE l.product_id = ANY (p_products) ORDER BY l.product_id FOR UPDATE;
  SELECT count(*) INTO fit
    FROM levels l JOIN unnest(p_products, p_quantities) AS w (p, q) ON l.product_id = w.p
   WHERE l.active AND l.available >= w.q;
  IF fit < cardinality(p_products) THEN
    RETURN QUERY SELECT 'REFUSED'::text, l.product_id::text, l.available, l.active
                   FROM levels l WHERE l.product_id = ANY (p_products);
    RETURN;
  END IF;
  RETURN QUERY
    WITH t AS (
      UPDATE levels l SET available = l.available - w.q, reserved = l.reserved + w.q, updated_at = now()
        FROM unnest(p_products, p_quantities) AS w (p, q)
       WHERE l.product_id = w.p AND l.active AND l.available >= w.q
      RETURNING l.product_id, l.available, w.q),
    r AS (
      INSERT INTO reservations (order_id, product_id, quantity, status)
      SELECT p_order, t.product_id, t.q, 'RESERVED' FROM t)
    SELECT 'RESERVED'::text, t.product_id::text, t.available, true FROM t;
  GET DIAGNOSTICS taken = ROW_COUNT;
  IF taken <> cardinality(p_products) THEN
    RAISE EXCEPTION 'levels changed under their lock for order %', p_order;
  END IF;
  UPDATE order_decisions SET outcome = 'RESERVED' WHERE order_id = p_order;
END $$;
