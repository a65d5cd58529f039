\set id random(1, 10000)
SELECT id, region, email, amount FROM sub.orders_v1 WHERE id = :id;
