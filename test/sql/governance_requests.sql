-- Access requests: any role asks with a purpose; only the product's
-- managers approve (which makes the agreement) or deny with a reason; a
-- requester sees its own requests; every step is in the event log.
CREATE ROLE greq_team NOLOGIN;
CREATE ROLE greq_analyst NOLOGIN;
CREATE ROLE greq_other NOLOGIN;
SELECT dmesh.create_domain('greq', 'greq_team') > 0 AS created;
CREATE SCHEMA greq_src AUTHORIZATION greq_team;
SET ROLE greq_team;
CREATE TABLE greq_src.orders (id int PRIMARY KEY, country text NOT NULL, total numeric NOT NULL);
INSERT INTO greq_src.orders VALUES (1, 'NL', 10), (2, 'FR', 20), (3, 'NL', 30);
SELECT dmesh.create_data_product('greq', 'orders', 'greq_src.orders', 'Orders') > 0 AS created;
SELECT dmesh.publish_data_product('greq.orders');
RESET ROLE;

-- Any role may ask; the purpose is required; the filter is validated.
SET ROLE greq_analyst;
SELECT dmesh.request_access('greq.orders', '   ');
SELECT dmesh.request_access('greq.orders', 'Dutch revenue', row_filter => $$country IN (SELECT 'NL')$$);
SELECT dmesh.request_access('greq.orders', 'Dutch revenue', row_filter => $$country = 'NL'$$) AS first_request \gset
\set VERBOSITY terse
SELECT dmesh.request_access('greq.orders', 'again');
\set VERBOSITY default
SELECT dmesh.request_access('greq.nope', 'x');
SELECT product_id IS NOT NULL AS known, requester, purpose, row_filter, status FROM dmesh.access_request;
RESET ROLE;
SET ROLE greq_other;
SELECT dmesh.request_access('greq.orders', 'Everything') AS other_request \gset
-- Requesters see their own requests only.
SELECT requester, status FROM dmesh.access_request;
-- Nobody but the product's managers decides.
SELECT dmesh.approve_access(:first_request);
SELECT dmesh.deny_access(:first_request, 'no');
RESET ROLE;
SET ROLE greq_analyst;
SELECT dmesh.approve_access(:first_request);
SELECT count(*) FROM dmesh_greq.orders_v1;
RESET ROLE;

-- The owner approves the first (with the filter asked for) and denies the
-- second, with a reason; a decided request cannot be decided again.
SET ROLE greq_team;
SELECT requester, purpose, status FROM dmesh.access_request ORDER BY request_id;
SELECT dmesh.approve_access(:first_request) > 0 AS approved;
SELECT dmesh.deny_access(:other_request, '');
SELECT dmesh.deny_access(:other_request, 'Ask for one country');
-- (request ids depend on the tests before: shown as N)
SELECT set_config('greq.first', :'first_request', false) IS NOT NULL AS noted,
       set_config('greq.other', :'other_request', false) IS NOT NULL AS noted;
DO $$BEGIN
  PERFORM dmesh.approve_access(current_setting('greq.other')::bigint);
EXCEPTION WHEN object_not_in_prerequisite_state THEN
  RAISE NOTICE '%', replace(SQLERRM, current_setting('greq.other'), 'N');
END$$;
DO $$BEGIN
  PERFORM dmesh.deny_access(current_setting('greq.first')::bigint, 'changed my mind');
EXCEPTION WHEN object_not_in_prerequisite_state THEN
  RAISE NOTICE '%', replace(SQLERRM, current_setting('greq.first'), 'N');
END$$;
SELECT dmesh.approve_access(-1);
SELECT requester, status, decided_by, reason, grant_id IS NOT NULL AS has_grant FROM dmesh.access_request ORDER BY request_id;
SELECT consumer, row_filter, purpose, request_id = :first_request AS from_request FROM dmesh.access_grant
 WHERE product_id = (SELECT product_id FROM dmesh.data_product WHERE name = 'orders' AND domain_id =
                     (SELECT domain_id FROM dmesh.domain WHERE name = 'greq'));
RESET ROLE;
SET ROLE greq_analyst;
SELECT id, country FROM dmesh_greq.orders_v1 ORDER BY id;
RESET ROLE;
SET ROLE greq_other;
SELECT count(*) FROM dmesh_greq.orders_v1;
SELECT status, reason FROM dmesh.access_request;
RESET ROLE;

-- Approving may narrow the rows asked for.
SET ROLE greq_other;
SELECT dmesh.request_access('greq.orders', 'French totals', row_filter => $$country = 'FR'$$) AS third \gset
RESET ROLE;
SET ROLE greq_team;
SELECT dmesh.approve_access(:third, row_filter => $$country = 'FR' AND total < 15$$) > 0 AS approved;
RESET ROLE;
SET ROLE greq_other;
SELECT count(*) FROM dmesh_greq.orders_v1;
RESET ROLE;
SELECT action, object_type, details - 'request_id' AS details FROM dmesh.event_log
 WHERE object_identity = 'greq.orders' AND action IN ('request_access', 'approve_access', 'deny_access', 'grant_access')
 ORDER BY event_id;
