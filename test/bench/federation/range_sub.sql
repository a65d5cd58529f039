\set id random(1, 9900)
SELECT id, region, email, amount FROM sub.orders_v1 WHERE id BETWEEN :id AND :id + 99;
