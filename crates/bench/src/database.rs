//! A fresh database per run on the engine the user names, and raw access to it for the
//! audit and the database-limit benchmark.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend};

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("unsupported database URL {0:?}: expected sqlite:, mysql: or postgres:")]
    Unsupported(String),
    #[error("invalid database URL: {0}")]
    Url(#[from] url::ParseError),
    #[error("{what}: {source}")]
    Sql {
        what: String,
        source: sea_orm::DbErr,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    MySql,
    Postgres,
}

impl Engine {
    pub fn of(url: &str) -> Result<Engine, DatabaseError> {
        if url.starts_with("sqlite:") {
            Ok(Engine::Sqlite)
        } else if url.starts_with("mysql:") || url.starts_with("mariadb:") {
            Ok(Engine::MySql)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Engine::Postgres)
        } else {
            Err(DatabaseError::Unsupported(url.to_owned()))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::MySql => "MariaDB/MySQL",
            Engine::Postgres => "PostgreSQL",
        }
    }

    pub fn backend(self) -> DbBackend {
        match self {
            Engine::Sqlite => DbBackend::Sqlite,
            Engine::MySql => DbBackend::MySql,
            Engine::Postgres => DbBackend::Postgres,
        }
    }
}

/// A database made for one run and dropped after it (a SQLite file in a temporary folder).
pub struct FreshDatabase {
    pub engine: Engine,
    /// What the servers are given as `DATABASE_URL`.
    pub url: String,
    admin_url: String,
    name: String,
    sqlite_dir: Option<PathBuf>,
}

fn unique_name(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos() % 1_000_000_000_000)
        .unwrap_or_default();
    format!("{prefix}_{}_{nanos}", std::process::id())
}

impl FreshDatabase {
    /// `server_url` names the server only (`postgres://postgres@127.0.0.1:5432`,
    /// `mysql://root@127.0.0.1:3306`) or `sqlite:` for a file in a temporary folder.
    pub async fn create(server_url: &str, prefix: &str) -> Result<FreshDatabase, DatabaseError> {
        let engine = Engine::of(server_url)?;
        let name = unique_name(prefix);
        match engine {
            Engine::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).map_err(|error| DatabaseError::Sql {
                    what: format!("creating {}", dir.display()),
                    source: sea_orm::DbErr::Custom(error.to_string()),
                })?;
                let url = format!("sqlite://{}?mode=rwc", dir.join("elife.db").display());
                Ok(FreshDatabase {
                    engine,
                    url,
                    admin_url: String::new(),
                    name,
                    sqlite_dir: Some(dir),
                })
            }
            Engine::MySql | Engine::Postgres => {
                let mut admin = url::Url::parse(server_url)?;
                admin.set_path(match engine {
                    Engine::Postgres => "/postgres",
                    Engine::MySql | Engine::Sqlite => "/",
                });
                let admin_url = admin.to_string();
                let connection = connect(&admin_url).await?;
                execute(&connection, &format!("CREATE DATABASE {name}")).await?;
                let _ = connection.close().await;
                let mut url = url::Url::parse(server_url)?;
                url.set_path(&format!("/{name}"));
                Ok(FreshDatabase {
                    engine,
                    url: url.to_string(),
                    admin_url,
                    name,
                    sqlite_dir: None,
                })
            }
        }
    }

    /// Drops the database (or deletes the SQLite folder); errors are only reported.
    pub async fn drop_now(self) {
        match self.engine {
            Engine::Sqlite => {
                if let Some(dir) = &self.sqlite_dir {
                    let _ = std::fs::remove_dir_all(dir);
                }
            }
            Engine::MySql | Engine::Postgres => {
                let statement = match self.engine {
                    Engine::Postgres => {
                        format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)
                    }
                    Engine::MySql | Engine::Sqlite => {
                        format!("DROP DATABASE IF EXISTS {}", self.name)
                    }
                };
                match connect(&self.admin_url).await {
                    Ok(connection) => {
                        if let Err(error) = execute(&connection, &statement).await {
                            eprintln!("warning: {error}");
                        }
                        let _ = connection.close().await;
                    }
                    Err(error) => eprintln!("warning: {error}"),
                }
            }
        }
    }
}

pub async fn connect(url: &str) -> Result<DatabaseConnection, DatabaseError> {
    Database::connect(url)
        .await
        .map_err(|source| DatabaseError::Sql {
            what: format!("connecting to {}", redact(url)),
            source,
        })
}

pub async fn execute(connection: &DatabaseConnection, sql: &str) -> Result<(), DatabaseError> {
    connection
        .execute_unprepared(sql)
        .await
        .map(|_| ())
        .map_err(|source| DatabaseError::Sql {
            what: sql.to_owned(),
            source,
        })
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

impl FreshDatabase {
    /// The database's name (on SQLite, the name of its temporary folder).
    pub fn database_name(&self) -> &str {
        &self.name
    }

    /// The URL of the server's maintenance database (`postgres`, or MySQL's server
    /// without a database); empty on SQLite.
    pub fn maintenance_url(&self) -> &str {
        &self.admin_url
    }
}
