-- When an endpoint's last failure was: a failure long after the one before (the endpoint was
-- quiet meanwhile) starts a new run of failures rather than extending an old one.
alter table webhook_endpoint add column last_failed_at bigint;
