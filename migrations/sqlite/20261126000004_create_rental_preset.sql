-- Saved rental configurations: start a rental from one by name.

create table rental_preset (
    rental_preset_id integer primary key autoincrement,
    user_id integer not null references app_user (user_id),
    name text not null,
    service_name text not null,
    country_code text not null,
    duration_hours integer not null,
    auto_renew integer not null default 0 check (auto_renew in (0, 1)),
    created_at bigint not null
);
create unique index rental_preset_user_name_idx on rental_preset (user_id, name);
