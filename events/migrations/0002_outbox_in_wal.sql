-- The outbox moves into the write-ahead log: each event is one transactional logical decoding
-- message (prefix 'shopmesh.outbox') written by the business transaction, read by the relay over
-- logical replication through this publication (it publishes no table: pgoutput sends the
-- messages only) from the database's slot 'shopmesh_outbox_<database>'.
CREATE PUBLICATION shopmesh_outbox;

-- Events still waiting in the old table are written again as messages by the relay's first start
-- (it creates the slot first), which then drops the table; LISTEN/NOTIFY is no longer used.
DROP TRIGGER outbox_notify ON outbox;
DROP FUNCTION outbox_notify();
