-- One extension through the provider at a time per rental: an open extension purchase claims
-- its rental (record_id) before the provider is asked, and a second one cannot, so two
-- concurrent extensions never both pay the provider.
create unique index purchase_one_open_extension on purchase (record_id)
    where kind = 'rental_extension' and state in ('held', 'bought');
