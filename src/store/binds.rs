//! How the domain types the store writes bind as SQL parameters, and how
//! the ids decode from rows, on either database: a `SecretHash` as its 32
//! bytes (SQLite BLOB, PostgreSQL BYTEA), a `ScopeSet` as its canonical
//! space-separated text, `UserId`, `ClientPk` and `PersonalTokenId` as their integer (SQLite
//! space-separated text, `UserId`, `ClientPk` and `EmailId` as their integer (SQLite
//! INTEGER, PostgreSQL BIGINT), `FamilyId`, `Login` and `Email` as TEXT. The
//! impls live here, not in `domain/`, so that only `store/` knows sqlx (the
//! orphan rule allows them: the types are this crate's own).

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

use crate::domain::client::ClientPk;
use crate::domain::email::EmailId;
use crate::domain::passkey::PasskeyId;
use crate::domain::personal_token::PersonalTokenId;
use crate::domain::scope::ScopeSet;
use crate::domain::token::{FamilyId, SecretHash};
use crate::domain::user::{Email, Login, UserId};

/// `Type` for a domain type stored as `$repr`: the same column type, on
/// whichever database.
macro_rules! stored_as {
    ($ty:ty, $repr:ty) => {
        impl<DB: Database> Type<DB> for $ty
        where
            $repr: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <$repr as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <$repr as Type<DB>>::compatible(ty)
            }
        }
    };
}

/// `Encode` and `Decode` for an id that is its integer.
macro_rules! integer_id {
    ($ty:ident) => {
        stored_as!($ty, i64);

        impl<'q, DB: Database> Encode<'q, DB> for $ty
        where
            i64: Encode<'q, DB>,
        {
            fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
                <i64 as Encode<'q, DB>>::encode_by_ref(&self.0, buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $ty
        where
            i64: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<$ty, BoxDynError> {
                <i64 as Decode<'r, DB>>::decode(value).map($ty)
            }
        }
    };
}

integer_id!(UserId);
integer_id!(ClientPk);
integer_id!(PersonalTokenId);
integer_id!(EmailId);
integer_id!(PasskeyId);

stored_as!(FamilyId, String);

impl<'q, DB: Database> Encode<'q, DB> for FamilyId
where
    String: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
        // Owned, for the reason `SecretHash` gives below.
        self.as_str().to_owned().encode(buf)
    }
}

impl<'r, DB: Database> Decode<'r, DB> for FamilyId
where
    String: Decode<'r, DB>,
{
    fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<FamilyId, BoxDynError> {
        <String as Decode<'r, DB>>::decode(value).map(FamilyId::new)
    }
}

stored_as!(Login, String);

impl<'q, DB: Database> Encode<'q, DB> for Login
where
    String: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
        self.as_str().to_owned().encode(buf)
    }
}

stored_as!(Email, String);

impl<'q, DB: Database> Encode<'q, DB> for Email
where
    String: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
        self.as_str().to_owned().encode(buf)
    }
}

stored_as!(SecretHash, Vec<u8>);

impl<'q, DB: Database> Encode<'q, DB> for SecretHash
where
    Vec<u8>: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
        // An owned copy (32 bytes): SQLite's argument buffer may only borrow
        // for the query's lifetime, which `&self` does not promise.
        self.0.to_vec().encode(buf)
    }
}

stored_as!(ScopeSet, String);

impl<'q, DB: Database> Encode<'q, DB> for ScopeSet
where
    String: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
        self.to_string().encode(buf)
    }
}

#[cfg(test)]
mod tests {
    use sqlx::sqlite::SqlitePool;

    use super::*;

    /// The ids and texts bind as their column types and the ids read back.
    #[tokio::test]
    async fn domain_types_bind_and_decode_on_sqlite() {
        let pool = SqlitePool::connect("sqlite::memory:").await.unwrap();

        let (user, client, family): (UserId, ClientPk, FamilyId) = sqlx::query_as("SELECT $1, $2, $3")
            .bind(UserId(7))
            .bind(ClientPk(9))
            .bind(FamilyId::new("fam"))
            .fetch_one(&pool)
            .await
            .unwrap();
        let texts: (String, String) = sqlx::query_as("SELECT $1, $2")
            .bind(Login::parse("Octo").unwrap())
            .bind(Email::parse("Octo@Example.com").unwrap())
            .fetch_one(&pool)
            .await
            .unwrap();

        assert_eq!((user, client, family), (UserId(7), ClientPk(9), FamilyId::new("fam")));
        assert_eq!(texts, ("Octo".to_owned(), "octo@example.com".to_owned()));
    }
}
