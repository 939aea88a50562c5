//! What each provider holds for us, from the rentals and verifications tables.

use sqlx::{Any, Executor};

/// Per provider: rentals active and verifications open.
pub async fn in_flight<'e>(
    db: impl Executor<'e, Database = Any>,
) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select provider, cast(sum(rentals) as bigint), cast(sum(verifications) as bigint) from ( \
         select provider, 1 as rentals, 0 as verifications from rentals where status = 'active' \
         union all \
         select provider, 0, 1 from verification where status in ('waiting', 'received') \
         ) t group by provider",
    )
    .fetch_all(db)
    .await
}
