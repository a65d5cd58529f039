-- Schedules: dmesh.set_schedule sets when the background worker checks a
-- product and how fresh its data must be; managers only, positive
-- intervals, the first check due at once; _incident keeps one open
-- incident per product and kind (the worker's own test, test/t/006,
-- runs them for real).
CREATE ROLE sch_team NOLOGIN;
CREATE ROLE sch_other NOLOGIN;
SELECT dmesh.create_domain('sched', 'sch_team') > 0 AS created;
CREATE SCHEMA sch_src AUTHORIZATION sch_team;
SET ROLE sch_team;
CREATE TABLE sch_src.t (id int PRIMARY KEY);
SELECT dmesh.create_data_product('sched', 't', 'sch_src.t') > 0 AS created;
SELECT dmesh.set_schedule('sched.t', "check" => '1 hour', freshness => '1 day');
SELECT check_every, freshness, next_check_at <= now() AS due_now, failures
  FROM dmesh.schedule s JOIN dmesh.data_product p USING (product_id) WHERE p.name = 't';
SELECT dmesh.set_schedule('sched.t', "check" => '0 seconds');
SELECT dmesh.set_schedule('sched.t', freshness => '-1 day');
SELECT dmesh.set_schedule('sched.nothing', "check" => '1 hour');
-- Only materialized products are refreshed (test refresh.sql).
SELECT dmesh.set_schedule('sched.t', refresh => '5 minutes');
-- Changing it: the new intervals, failures cleared; NULL: not on schedule.
SELECT dmesh.set_schedule('sched.t', freshness => '2 hours');
SELECT refresh_every, check_every, freshness, next_check_at FROM dmesh.schedule s
  JOIN dmesh.data_product p USING (product_id) WHERE p.name = 't';
RESET ROLE;
SET ROLE sch_other;
SELECT dmesh.set_schedule('sched.t', "check" => '1 minute');
UPDATE dmesh.schedule SET check_every = '1 second';
SELECT dmesh._incident(1, 'quality', true);
RESET ROLE;
SELECT action, details FROM dmesh.event_log WHERE action = 'set_schedule' AND object_identity = 'sched.t'
 ORDER BY event_id;
-- Incidents: one open per product and kind; repeats count; resolving closes it.
SELECT dmesh._incident(product_id, 'quality', true, '{"failed_rules": 1}') FROM dmesh.data_product WHERE name = 't';
SELECT dmesh._incident(product_id, 'quality', true, '{"failed_rules": 2}') FROM dmesh.data_product WHERE name = 't';
SELECT kind, occurrences, resolved_at IS NULL AS open, detail FROM dmesh.incident i
  JOIN dmesh.data_product p USING (product_id) WHERE p.name = 't';
SELECT dmesh._incident(product_id, 'quality', false) FROM dmesh.data_product WHERE name = 't';
SELECT dmesh._incident(product_id, 'quality', false) FROM dmesh.data_product WHERE name = 't';
SELECT kind, occurrences, resolved_at IS NULL AS open FROM dmesh.incident i
  JOIN dmesh.data_product p USING (product_id) WHERE p.name = 't';
