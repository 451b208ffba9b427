//! Accounts of the web service: users with a role (tied to an employee for "my tasks" and "my
//! unit"), browser sessions, API tokens for the region's other systems, one-time sign-in links
//! and failed sign-ins for throttling.
//!
//! Secrets are never stored: sessions, tokens and links are kept by the sha256 of their value,
//! passwords as argon2 hashes made by the caller. Every change to a user or a token writes the
//! audit log in the same transaction.

use serde::Serialize;

use crate::{Store, StoreError, audit, now};

/// What a user may do. The web service's policy table says which role reaches which action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Installs, configures and schedules plugins, manages users and the trust store.
    Administrator,
    /// Sees and reassigns the tasks of their unit and its sub-units.
    Manager,
    /// Sees and works on their own tasks.
    Employee,
    /// Reads everything, changes nothing.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Administrator,
        Role::Manager,
        Role::Employee,
        Role::Auditor,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Manager => "manager",
            Role::Employee => "employee",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Result<Role, StoreError> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "`{s}` is not a role; roles are administrator, manager, employee and auditor"
                ))
            })
    }
}

/// A user of the web service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub full_name: String,
    pub role: Role,
    pub employee_id: Option<u64>,
    pub disabled: bool,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub created_at: i64,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub login: String,
    pub full_name: String,
    pub role: Role,
    pub employee_id: Option<u64>,
    /// An argon2 PHC string, or `None` for sign-in by link or token only.
    pub password_hash: Option<String>,
}

/// An API token's record (never its value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

/// A live session: its user and the CSRF token form posts must echo.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    pub expires_at: i64,
}

const USER_COLUMNS: &str =
    "id, login, full_name, role, employee_id, password_hash, disabled, created_at";

type UserRow = (
    i64,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    i64,
    i64,
);

fn user(r: UserRow) -> Result<User, StoreError> {
    Ok(User {
        id: r.0,
        login: r.1,
        full_name: r.2,
        role: Role::parse(&r.3)?,
        employee_id: r.4.map(|e| e as u64),
        password_hash: r.5,
        disabled: r.6 != 0,
        created_at: r.7,
    })
}

/// Logins: what people type, so short and plain.
fn check_login(login: &str) -> Result<(), StoreError> {
    let ok = (2..=64).contains(&login.len())
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "login `{login}` is invalid: 2 to 64 latin letters, digits, `.`, `-`, `_` or `@`"
        )))
    }
}

impl Store {
    /// Creates a user. A login is unique; an employee id must name an employee.
    pub async fn add_user(&self, new: &NewUser, actor: &str) -> Result<User, StoreError> {
        check_login(&new.login)?;
        if new.full_name.trim().is_empty() || new.full_name.chars().count() > 200 {
            return Err(StoreError::Invalid(
                "give the user's full name (1 to 200 characters)".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        if let Some(employee) = new.employee_id {
            let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM employees WHERE id = $1")
                .bind(employee as i64)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::Invalid(format!(
                    "there is no employee {employee} in the region; give the id of an employee \
                     (`zemstvo tasks list` shows them)"
                )));
            }
        }
        let taken: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE login = $1")
            .bind(new.login.clone())
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "login `{}` is taken; choose another",
                new.login
            )));
        }
        sqlx::query(
            "INSERT INTO users (login, full_name, role, employee_id, password_hash, disabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6)",
        )
        .bind(new.login.clone())
        .bind(new.full_name.trim().to_string())
        .bind(new.role.name())
        .bind(new.employee_id.map(|e| e as i64))
        .bind(new.password_hash.clone())
        .bind(now())
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut *tx,
            actor,
            "user-added",
            &format!("user:{}", new.login),
            serde_json::json!({
                "after": {"role": new.role.name(), "employee_id": new.employee_id, "full_name": new.full_name}
            }),
        )
        .await?;
        tx.commit().await?;
        self.user_by_login(&new.login)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user `{}` vanished", new.login)))
    }

    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows: Vec<UserRow> =
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY login"))
                .fetch_all(self.pool())
                .await?;
        rows.into_iter().map(user).collect()
    }

    pub async fn user_by_login(&self, login: &str) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE login = $1"
        ))
        .bind(login.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.map(user).transpose()
    }

    async fn existing_user(&self, login: &str) -> Result<User, StoreError> {
        self.user_by_login(login).await?.ok_or_else(|| {
            StoreError::NotFound(format!(
                "there is no user `{login}`; `zemstvo users list` shows them"
            ))
        })
    }

    /// Changes a user's role, disabled flag or password hash; the audit log keeps before and
    /// after. Disabling a user ends their sessions at once.
    pub async fn update_user(
        &self,
        login: &str,
        role: Option<Role>,
        disabled: Option<bool>,
        password_hash: Option<String>,
        actor: &str,
    ) -> Result<User, StoreError> {
        let before = self.existing_user(login).await?;
        let role = role.unwrap_or(before.role);
        let disabled = disabled.unwrap_or(before.disabled);
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE users SET role = $1, disabled = $2, password_hash = COALESCE($3, password_hash) \
             WHERE id = $4",
        )
        .bind(role.name())
        .bind(disabled as i64)
        .bind(password_hash.clone())
        .bind(before.id)
        .execute(&mut *tx)
        .await?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(before.id)
                .execute(&mut *tx)
                .await?;
        }
        audit::record(
            &mut *tx,
            actor,
            "user-changed",
            &format!("user:{login}"),
            serde_json::json!({
                "before": {"role": before.role.name(), "disabled": before.disabled},
                "after": {"role": role.name(), "disabled": disabled},
                "password_changed": password_hash.is_some(),
            }),
        )
        .await?;
        tx.commit().await?;
        self.existing_user(login).await
    }

    /// Starts a session for `user`, kept by the hash of its cookie value.
    pub async fn create_session(
        &self,
        user: i64,
        token_hash: &str,
        csrf: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        // Expired sessions go as new ones come, so the table does not grow without end.
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now())
            .execute(self.pool())
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash.to_string())
        .bind(user)
        .bind(csrf.to_string())
        .bind(now())
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The live session with this hash, if its user is enabled.
    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>, StoreError> {
        let row: Option<(i64, String, i64)> = sqlx::query_as(
            "SELECT user_id, csrf, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash.to_string())
        .bind(now())
        .fetch_optional(self.pool())
        .await?;
        let Some((user_id, csrf, expires_at)) = row else {
            return Ok(None);
        };
        Ok(self
            .user_by_id(user_id)
            .await?
            .filter(|u| !u.disabled)
            .map(|user| Session {
                user,
                csrf,
                expires_at,
            }))
    }

    pub async fn end_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> =
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        row.map(user).transpose()
    }

    /// Records a new API token of `login` (its hash; the value is shown once by the caller).
    pub async fn add_token(
        &self,
        login: &str,
        name: &str,
        token_hash: &str,
        expires_at: i64,
        actor: &str,
    ) -> Result<ApiToken, StoreError> {
        let owner = self.existing_user(login).await?;
        if name.trim().is_empty() || name.chars().count() > 100 {
            return Err(StoreError::Invalid(
                "name the token after the system that uses it (1 to 100 characters)".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(owner.id)
        .bind(name.trim().to_string())
        .bind(token_hash.to_string())
        .bind(now())
        .bind(expires_at)
        .fetch_one(&mut *tx)
        .await?;
        audit::record(
            &mut *tx,
            actor,
            "token-added",
            &format!("user:{login}"),
            serde_json::json!({"after": {"token": id, "name": name, "expires_at": expires_at}}),
        )
        .await?;
        tx.commit().await?;
        Ok(ApiToken {
            id,
            login: login.to_string(),
            name: name.trim().to_string(),
            created_at: now(),
            expires_at,
            revoked_at: None,
        })
    }

    /// The enabled user of a live (unrevoked, unexpired) token.
    pub async fn token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        // One statement, built once: it runs on every request a system makes.
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            let columns: Vec<String> = USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect();
            format!(
                "SELECT {} FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2",
                columns.join(", ")
            )
        });
        let row: Option<UserRow> = sqlx::query_as(SQL.as_str())
            .bind(token_hash.to_string())
            .bind(now())
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(user).transpose()?.filter(|u| !u.disabled))
    }

    pub async fn tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        let rows: Vec<(i64, String, String, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT t.id, u.login, t.name, t.created_at, t.expires_at, t.revoked_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| ApiToken {
                id: r.0,
                login: r.1,
                name: r.2,
                created_at: r.3,
                expires_at: r.4,
                revoked_at: r.5,
            })
            .collect())
    }

    pub async fn revoke_token(&self, id: i64, actor: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::NotFound(format!(
                "there is no live token {id}; list tokens to see their ids"
            )));
        }
        audit::record(
            &mut *tx,
            actor,
            "token-revoked",
            &format!("token:{id}"),
            serde_json::json!({"before": {"revoked": false}, "after": {"revoked": true}}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a one-time sign-in link of `login`.
    pub async fn add_sign_in_link(
        &self,
        login: &str,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let owner = self.existing_user(login).await?;
        sqlx::query(
            "INSERT INTO sign_in_links (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash.to_string())
        .bind(owner.id)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Uses a sign-in link: at most once, before it expires.
    pub async fn use_sign_in_link(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let used: Option<(i64,)> = sqlx::query_as(
            "UPDATE sign_in_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL \
             AND expires_at > $1 RETURNING user_id",
        )
        .bind(now())
        .bind(token_hash.to_string())
        .fetch_optional(self.pool())
        .await?;
        match used {
            Some((id,)) => Ok(self.user_by_id(id).await?.filter(|u| !u.disabled)),
            None => Ok(None),
        }
    }

    pub async fn record_sign_in_failure(&self, login: &str) -> Result<(), StoreError> {
        let login: String = login.chars().take(64).collect();
        sqlx::query("INSERT INTO sign_in_failures (login, at) VALUES ($1, $2)")
            .bind(login)
            .bind(now())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Failed sign-ins of `login` since `since`.
    pub async fn sign_in_failures(&self, login: &str, since: i64) -> Result<u64, StoreError> {
        let login: String = login.chars().take(64).collect();
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM sign_in_failures WHERE login = $1 AND at >= $2")
                .bind(login)
                .bind(since)
                .fetch_one(self.pool())
                .await?;
        Ok(n as u64)
    }

    /// The employees of the units `manager` heads or belongs to as a manager, sub-units
    /// included: whose tasks a manager sees.
    pub async fn unit_staff(&self, manager: u64) -> Result<Vec<u64>, StoreError> {
        // One statement: the units they head or belong to, their sub-units to any depth, and
        // everyone in them or reporting to them (read on every "my unit" request).
        let rows: Vec<(i64,)> = sqlx::query_as(
            "WITH RECURSIVE scope(id) AS ( \
                 SELECT id FROM ( \
                     SELECT id FROM units WHERE head_id = $1 \
                     UNION SELECT unit_id FROM employees WHERE id = $1 \
                 ) roots \
                 UNION SELECT u.id FROM units u JOIN scope s ON u.parent_id = s.id \
             ) \
             SELECT id FROM employees \
             WHERE unit_id IN (SELECT id FROM scope) OR manager_id = $1 OR id = $1 \
             ORDER BY id",
        )
        .bind(manager as i64)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(id,)| id as u64).collect())
    }
}
