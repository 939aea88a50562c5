-- A count of the changes a customer can see in a rental or a verification, raised by each of
-- them in the same statement. Views carry it, so a browser that gets two views of the same
-- thing out of order (an action's late answer after a live event) keeps the newer one.
alter table rentals add column revision bigint not null default 0;
alter table verification add column revision bigint not null default 0;
