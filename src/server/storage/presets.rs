//! The `rental_preset` table: a user's saved rental configurations.

use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, FromRow)]
pub struct PresetRow {
    pub rental_preset_id: i64,
    pub name: String,
    pub service_name: String,
    pub country_code: String,
    pub duration_hours: i32,
    /// 1 or 0.
    pub auto_renew: i32,
    pub created_at: i64,
}

const COLUMNS: &str =
    "rental_preset_id, name, service_name, country_code, duration_hours, auto_renew, created_at";

pub struct NewPresetRow<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub service_name: &'a str,
    pub country_code: &'a str,
    pub duration_hours: i32,
    pub auto_renew: bool,
    pub now: i64,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    p: NewPresetRow<'_>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into rental_preset (user_id, name, service_name, country_code, duration_hours, \
         auto_renew, created_at) values ($1, $2, $3, $4, $5, $6, $7) returning rental_preset_id",
    )
    .bind(p.user_id)
    .bind(p.name)
    .bind(p.service_name)
    .bind(p.country_code)
    .bind(p.duration_hours)
    .bind(i32::from(p.auto_renew))
    .bind(p.now)
    .fetch_one(db)
    .await
}

/// A user's presets, by name.
pub async fn list<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<Vec<PresetRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from rental_preset where user_id = $1 order by name"
    ))
    .bind(user_id)
    .fetch_all(db)
    .await
}

pub async fn find_owned<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    id: i64,
) -> Result<Option<PresetRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from rental_preset where user_id = $1 and rental_preset_id = $2"
    ))
    .bind(user_id)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Deletes one of the user's presets; false if there was none.
pub async fn delete<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("delete from rental_preset where user_id = $1 and rental_preset_id = $2")
            .bind(user_id)
            .bind(id)
            .execute(db)
            .await?;
    Ok(done.rows_affected() > 0)
}
