//! Accounts: sign-up and sign-in, the session, API keys, the balance and its ledger.

use super::*;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i64,
    pub email: String,
}

/// The answer to a sign-up: the same whether or not the address already had an account, so
/// that sign-up does not tell who is a customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignUpView {
    pub email: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeView {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub balance: Money,
    pub currency: String,
}

/// What every page needs to draw its frame: who is signed in, and whether this is the sandbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub user: Option<MeView>,
    pub sandbox: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewApiKey {
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: i64,
    pub name: String,
    /// The first characters of the key, enough to recognise it; never the key itself.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The answer to creating a key: the only time the key itself is ever shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreatedApiKey {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub key: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyList {
    pub keys: Vec<ApiKeyView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BalanceView {
    pub balance: Money,
    pub currency: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransactionView {
    pub id: i64,
    /// Positive for money in, negative for money out.
    pub amount: Money,
    pub balance_after: Money,
    pub kind: String,
    pub reference: Option<String>,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransactionPage {
    pub transactions: Vec<TransactionView>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}
