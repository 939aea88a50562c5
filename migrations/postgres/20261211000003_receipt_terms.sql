-- What a paid top-up's receipt says for good: the tax rate and the business details in force
-- when it was paid (JSON), so a later change of TAX_RATE or BUSINESS_* does not rewrite it.
-- Top-ups paid before this have none, and their receipts use the current settings.
alter table topup add column receipt_terms text;
