-- The services and countries a user marks as favourites: the pickers list them first.

create table favourite (
    user_id integer not null references app_user (user_id),
    kind text not null check (kind in ('service', 'country')),
    code text not null,
    created_at bigint not null,
    primary key (user_id, kind, code)
);
