CREATE TABLE regions (code text PRIMARY KEY, label text);
INSERT INTO regions VALUES ('eu', 'Europe'), ('us', 'United States');
UPDATE regions SET label = upper(label);
