-- aim-migrate: data-loss
-- Drops tables api_usage_metrics and agent_metrics_daily and every row in them (all collected analytics).
-- Reverts: 020_analytics_metrics.sql
-- Purpose: Remove the daily agent rollups and the bucketed API usage counters.

-- Indexes, constraints and updated_at triggers are dropped with their tables.
DROP TABLE api_usage_metrics;
DROP TABLE agent_metrics_daily;
