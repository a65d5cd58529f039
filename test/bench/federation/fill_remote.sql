-- Part B of the federation bench (run.sh): the consumer's copy grows to
-- :total remote rows.  A second peer, synth (on the same server, never
-- synced), gets generated rows written straight into dmesh.remote_product,
-- shaped like the synced ones (the same generator of descriptions and
-- tags as provider_products.sql, the columns of a synced row), so that
-- mesh_search reads :total rows of peers.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SELECT dmesh.add_peer('synth', 'prov_srv');
INSERT INTO dmesh.remote_product (peer_id, domain, product, object, major, version, status, owner,
                                  description, tags, columns, contract_id, contract_status,
                                  quality_score, health_status, open_incidents, published_at,
                                  changed_at, synced_at)
SELECT (SELECT peer_id FROM dmesh.peer WHERE name = 'synth'),
       'd' || (g % 10), 'p' || g, NULL, 1, t.version, t.status, t.owner,
       format('Product %s of the %s team: %s figures for %s',
              g, (ARRAY['sales', 'fleet', 'finance', 'support', 'marketing'])[1 + g % 5],
              (ARRAY['daily', 'weekly', 'monthly'])[1 + g % 3],
              (ARRAY['orders', 'invoices', 'shipments', 'tickets', 'campaigns', 'returns', 'payments'])[1 + g % 7]),
       ARRAY[(ARRAY['sales', 'fleet', 'finance', 'support', 'marketing'])[1 + g % 5], 'bench'],
       t.columns, t.contract_id, t.contract_status, t.quality_score, t.health_status, t.open_incidents,
       t.published_at, t.changed_at, now()
  FROM generate_series(100001, 100000 + :total - (SELECT count(*) FROM dmesh.remote_product)) g,
       (SELECT * FROM dmesh.remote_product WHERE product = 'p1') t;
VACUUM ANALYZE dmesh.remote_product;
