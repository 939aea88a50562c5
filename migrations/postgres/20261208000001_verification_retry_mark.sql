-- The SMS-Activate protocol's `setStatus=3` ("another code, please"): how many messages the
-- verification had when it was asked, so `getStatus` answers `STATUS_WAIT_RETRY` until a
-- newer one arrives.
alter table verification add column retry_after_messages bigint;
