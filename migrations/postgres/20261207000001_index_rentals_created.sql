-- The operators' console lists every account's rentals newest first.
create index rentals_created_idx on rentals (created_at, id);
