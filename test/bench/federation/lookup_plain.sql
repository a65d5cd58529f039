\set id random(1, 10000)
SELECT id, region, email, amount FROM plain.orders_v1 WHERE id = :id;
