-- What a customer sees of each of their sessions: where it was opened, with what, and when it
-- was last used.
alter table session add column ip text not null default '';
alter table session add column user_agent text not null default '';
alter table session add column last_seen_at bigint not null default 0;
