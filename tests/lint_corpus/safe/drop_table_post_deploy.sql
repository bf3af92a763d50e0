-- aim-migrate: post-deploy
DROP TABLE customer_tags;
