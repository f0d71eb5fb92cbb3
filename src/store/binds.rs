//! How the domain types the store writes bind as SQL parameters, on either
//! database: a `SecretHash` as its 32 bytes (SQLite BLOB, PostgreSQL BYTEA),
//! a `ScopeSet` as its canonical space-separated text. The impls live here,
//! not in `domain/`, so that only `store/` knows sqlx (the orphan rule allows
//! them: the types are this crate's own).

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Encode, Type};

use crate::domain::scope::ScopeSet;
use crate::domain::token::SecretHash;

impl<DB: Database> Type<DB> for SecretHash
where
    Vec<u8>: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <Vec<u8> as Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <Vec<u8> as Type<DB>>::compatible(ty)
    }
}

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

impl<DB: Database> Type<DB> for ScopeSet
where
    String: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <String as Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <String as Type<DB>>::compatible(ty)
    }
}

impl<'q, DB: Database> Encode<'q, DB> for ScopeSet
where
    String: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
        self.to_string().encode(buf)
    }
}
