-- What the provider charged for each rental and verification (1/10000 units of the provider
-- account's currency), so the margin per provider is known: the customer's `cost` less this.
-- Null for those bought before it was recorded, or where the provider did not say.
alter table rentals add column provider_cost bigint;
alter table verification add column provider_cost bigint;
