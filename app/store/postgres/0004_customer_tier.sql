-- The verified customer's tier (the CRM's SLA tier), so model spend can be split by it
-- (app/analytics/report.py; the SQLite twin is m008_customer_tier in app/store/migrations.py).
ALTER TABLE conversations ADD COLUMN customer_tier TEXT;
