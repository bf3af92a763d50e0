CREATE TABLE coupons (code text PRIMARY KEY);
ALTER TABLE coupons ADD COLUMN token uuid DEFAULT gen_random_uuid();
ALTER TABLE coupons ADD COLUMN serial_no bigserial;
