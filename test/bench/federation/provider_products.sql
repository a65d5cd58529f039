-- :from .. :to products (run.sh calls this in batches, one transaction each).
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SELECT count(*) FROM (
  SELECT dmesh.create_data_product('d' || (g % 10), 'p' || g,
           'SELECT id, name, amount FROM bench_src.items',
           description => format('Product %s of the %s team: %s figures for %s',
                                 g, (ARRAY['sales', 'fleet', 'finance', 'support', 'marketing'])[1 + g % 5],
                                 (ARRAY['daily', 'weekly', 'monthly'])[1 + g % 3],
                                 (ARRAY['orders', 'invoices', 'shipments', 'tickets', 'campaigns', 'returns', 'payments'])[1 + g % 7]),
           tags => ARRAY[(ARRAY['sales', 'fleet', 'finance', 'support', 'marketing'])[1 + g % 5], 'bench']),
         dmesh.publish_data_product('d' || (g % 10) || '.p' || g)
    FROM generate_series(:from, :to) g) x;
