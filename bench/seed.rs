//! Benchmark seeder (`cargo run --release --example bench_seed`): prepares a
//! database that `gatehouse user create` and `gatehouse app create` already
//! hold one user and one application in, for the load scenarios of
//! `bench/run`. Through the `Store` trait it remembers the user's consent for
//! the application and opens a browser session; in bulk, with plain SQL in big
//! transactions, it writes live access tokens (the first `--access` of them
//! real, their clear text listed in `access.txt`; the rest filler rows with
//! random hashes, indistinguishable in the index) and single-use refresh
//! tokens (`refresh.txt`), each in its own family so that rotating one never
//! revokes another. Stored hashes come from `PlainSecret::hash`, the server's
//! own hashing.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use gatehouse::clock::{Clock as _, SystemClock};
use gatehouse::domain::client::ClientPk;
use gatehouse::domain::token::{PlainSecret, SecretKind};
use gatehouse::domain::user::UserId;
use gatehouse::store::SessionRecord;
use rand::RngCore as _;

/// Rows per INSERT statement (SQLite allows 32766 bound values; 8 per row).
const ROWS_PER_STATEMENT: usize = 500;
/// Rows per transaction.
const ROWS_PER_TRANSACTION: usize = 100_000;
/// Live tokens stay valid for 30 days, well past any run.
const TOKEN_TTL: i64 = 30 * 86_400;

struct Args {
    database_url: String,
    email: String,
    client_id: String,
    out: PathBuf,
    access: usize,
    filler: usize,
    refresh: usize,
    create_database: Option<String>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        database_url: String::new(),
        email: String::new(),
        client_id: String::new(),
        out: PathBuf::from("."),
        access: 1000,
        filler: 0,
        refresh: 0,
        create_database: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--database-url" => args.database_url = value,
            "--email" => args.email = value,
            "--client-id" => args.client_id = value,
            "--out" => args.out = PathBuf::from(value),
            "--access" => args.access = value.parse()?,
            "--filler" => args.filler = value.parse()?,
            "--refresh" => args.refresh = value.parse()?,
            "--create-database" => args.create_database = Some(value),
            other => bail!("unknown flag {other}"),
        }
    }
    if args.create_database.is_some() && !args.database_url.is_empty() {
        return Ok(args);
    }
    if args.database_url.is_empty() || args.email.is_empty() || args.client_id.is_empty() {
        bail!(
            "usage: bench_seed --database-url URL (--create-database NAME | --email E --client-id ID --out DIR [--access N] [--filler N] [--refresh N])"
        );
    }
    Ok(args)
}

/// One token row as the server writes it (`store::*::write_tokens`).
struct Row {
    hash: [u8; 32],
    kind: &'static str,
    family: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    if let Some(name) = &args.create_database {
        // bench/run's PostgreSQL has no psql beside it: create databases here.
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(&args.database_url).await?;
        sqlx::query(&format!("CREATE DATABASE \"{}\"", name.replace('"', ""))).execute(&mut conn).await?;
        return Ok(());
    }
    let now = SystemClock.now();
    std::fs::create_dir_all(&args.out)?;
    let store = gatehouse::store::connect(&args.database_url, false).await?;
    let user = store.find_user_credentials(&args.email).await?.context("no such user")?.user;
    let client = store.find_client(&args.client_id).await?.context("no such client")?;

    // The remembered consent (scenario 6) and a browser session for it.
    store.save_grant(user.id, client.id, &client.scopes, now, None).await?;
    let session = PlainSecret::generate(SecretKind::Session);
    let record = SessionRecord {
        user_id: user.id,
        csrf_token: gatehouse::domain::token::random_token(),
        auth: gatehouse::domain::oidc::Authentication::password(now),
        user_agent: "bench".to_owned(),
        ip: "127.0.0.1".to_owned(),
        last_seen_at: now,
    };
    store.insert_session(&session.hash(), &record, now, now + TOKEN_TTL, &[]).await?;
    std::fs::write(args.out.join("session.txt"), session.expose())?;
    std::fs::write(args.out.join("scopes.txt"), client.scopes.to_string())?;

    let mut rows = Vec::new();
    let mut access_list = String::new();
    let mut refresh_list = String::new();
    for i in 0..args.access {
        let token = PlainSecret::generate(SecretKind::AccessToken);
        writeln!(access_list, "{}", token.expose())?;
        rows.push(Row { hash: token.hash().0, kind: "access", family: format!("bench-a-{i:09}") });
    }
    for i in 0..args.refresh {
        let token = PlainSecret::generate(SecretKind::RefreshToken);
        writeln!(refresh_list, "{}", token.expose())?;
        rows.push(Row { hash: token.hash().0, kind: "refresh", family: format!("bench-r-{i:09}") });
    }
    std::fs::write(args.out.join("access.txt"), access_list)?;
    std::fs::write(args.out.join("refresh.txt"), refresh_list)?;

    let scopes = client.scopes.to_string();
    let columns = Columns { client_pk: client.id, user_id: user.id, scopes: &scopes, now };
    let postgres = args.database_url.starts_with("postgres");
    insert(&args.database_url, postgres, &columns, rows.into_iter()).await?;

    // Filler: random hashes, written in sorted runs of one transaction each.
    let mut rng = rand::rng();
    let mut written = 0;
    while written < args.filler {
        let n = ROWS_PER_TRANSACTION.min(args.filler - written);
        let batch = (0..n).map(|i| {
            let mut hash = [0u8; 32];
            rng.fill_bytes(&mut hash);
            Row { hash, kind: "access", family: format!("bench-f-{:09}", written + i) }
        });
        let mut batch: Vec<Row> = batch.collect();
        // Sorted, each transaction walks the primary key's B-tree once.
        batch.sort_unstable_by_key(|r| r.hash);
        insert(&args.database_url, postgres, &columns, batch.into_iter()).await?;
        written += n;
        if written % 1_000_000 == 0 {
            println!("bench_seed: {written} filler tokens");
        }
    }
    println!(
        "bench_seed: user {} client {}: {} access, {} refresh, {} filler tokens",
        user.id, client.id, args.access, args.refresh, args.filler
    );
    Ok(())
}

/// The columns every seeded token shares.
struct Columns<'a> {
    client_pk: ClientPk,
    user_id: UserId,
    scopes: &'a str,
    now: i64,
}

async fn insert(url: &str, postgres: bool, c: &Columns<'_>, rows: impl Iterator<Item = Row>) -> anyhow::Result<()> {
    let rows: Vec<Row> = rows.collect();
    if rows.is_empty() {
        return Ok(());
    }
    // Only for seeding: the seeded rows are rebuilt from scratch if a crash
    // interrupts this, so there is no need to sync every transaction.
    if postgres {
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(url).await?;
        let mut tx = conn.begin().await?;
        sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(
                "INSERT INTO tokens (token_hash, kind, client_pk, user_id, scopes, family_id, created_at, expires_at) ",
            );
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.hash.to_vec())
                    .push_bind(r.kind)
                    .push_bind(c.client_pk)
                    .push_bind(c.user_id)
                    .push_bind(c.scopes)
                    .push_bind(&r.family)
                    .push_bind(c.now)
                    .push_bind(c.now + TOKEN_TTL);
            });
            qb.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
    } else {
        use sqlx::Connection as _;
        use std::str::FromStr as _;
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
            .synchronous(sqlx::sqlite::SqliteSynchronous::Off)
            .busy_timeout(std::time::Duration::from_secs(30))
            .pragma("cache_size", "-1048576");
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
        let mut tx = conn.begin().await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO tokens (token_hash, kind, client_pk, user_id, scopes, family_id, created_at, expires_at) ",
            );
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.hash.to_vec())
                    .push_bind(r.kind)
                    .push_bind(c.client_pk)
                    .push_bind(c.user_id)
                    .push_bind(c.scopes)
                    .push_bind(&r.family)
                    .push_bind(c.now)
                    .push_bind(c.now + TOKEN_TTL);
            });
            qb.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}
