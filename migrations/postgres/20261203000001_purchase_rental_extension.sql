-- Extensions through a provider's own extension call are purchases too: the money is held
-- before the provider is asked, outside any transaction.
alter table purchase drop constraint purchase_kind_check;
alter table purchase add constraint purchase_kind_check
    check (kind in ('rental', 'verification', 'rental_extension'));
