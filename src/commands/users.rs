//! `zemstvo users`: the accounts of the web service — add, list, change a role, disable, make
//! an API token or a one-time sign-in link.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use zemstvo_store::accounts::{NewUser, Role};
use zemstvo_web::auth::{hash_password, hash_secret, new_secret};
use zemstvo_web::unix_now as now;

use super::DatabaseArgs;
use crate::cli::CliError;

#[derive(Debug, Args)]
pub struct UsersArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(subcommand)]
    pub command: UsersCommand,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user. The password is read from ZEMSTVO_PASSWORD (never from the command line,
    /// which other users of the machine can see); without it the user signs in by link.
    Add {
        login: String,
        /// administrator, manager, employee or auditor.
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: String,
        /// The employee this user is (employees and managers need one).
        #[arg(long)]
        employee: Option<u64>,
    },
    /// List the users.
    List,
    /// Change a user's role.
    SetRole { login: String, role: String },
    /// Disable a user: their sessions end and their tokens stop working.
    Disable { login: String },
    /// Make an API token for a user (shown once).
    Token {
        login: String,
        /// The system that will use it.
        #[arg(long)]
        name: String,
        #[arg(long, default_value_t = 365)]
        days: u32,
    },
    /// Make a one-time sign-in link for a user (valid for a day).
    Link {
        login: String,
        /// The address the API is served on.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base: String,
    },
}

fn input(e: impl std::fmt::Display) -> CliError {
    CliError::Input(e.to_string())
}

const ACTOR: &str = "cli";

pub async fn users(args: UsersArgs) -> Result<ExitCode, CliError> {
    let store = args.database.open().await?;
    match args.command {
        UsersCommand::Add {
            login,
            role,
            name,
            employee,
        } => {
            let role = Role::parse(&role).map_err(input)?;
            if matches!(role, Role::Employee | Role::Manager) && employee.is_none() {
                return Err(input(format!(
                    "a {} must be tied to an employee: give --employee ID",
                    role.name()
                )));
            }
            let password_hash = match std::env::var("ZEMSTVO_PASSWORD") {
                Ok(p) => Some(hash_password(&p).map_err(input)?),
                Err(_) => None,
            };
            let user = store
                .add_user(
                    &NewUser {
                        login,
                        full_name: name,
                        role,
                        employee_id: employee,
                        password_hash,
                    },
                    ACTOR,
                )
                .await
                .map_err(input)?;
            println!("added {} ({})", user.login, user.role.name());
        }
        UsersCommand::List => {
            for u in store.users().await.map_err(input)? {
                println!(
                    "{:<20} {:<14} {:<10} {}{}",
                    u.login,
                    u.role.name(),
                    u.employee_id
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| "-".into()),
                    u.full_name,
                    if u.disabled { "  (disabled)" } else { "" }
                );
            }
        }
        UsersCommand::SetRole { login, role } => {
            let role = Role::parse(&role).map_err(input)?;
            let user = store
                .update_user(&login, Some(role), None, None, ACTOR)
                .await
                .map_err(input)?;
            println!("{} is now {}", user.login, user.role.name());
        }
        UsersCommand::Disable { login } => {
            store
                .update_user(&login, None, Some(true), None, ACTOR)
                .await
                .map_err(input)?;
            println!("{login} is disabled");
        }
        UsersCommand::Token { login, name, days } => {
            if !(1..=730).contains(&days) {
                return Err(input(format!("--days is {days}; give 1 to 730")));
            }
            let token = new_secret().map_err(|e| input(e.detail))?;
            let record = store
                .add_token(
                    &login,
                    &name,
                    &hash_secret(&token),
                    now() + i64::from(days) * 86_400,
                    ACTOR,
                )
                .await
                .map_err(input)?;
            println!(
                "token {} for {login} ({name}); shown once, keep it safe:",
                record.id
            );
            println!("{token}");
        }
        UsersCommand::Link { login, base } => {
            println!("{}", sign_in_link(&store, &login, &base).await?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A one-time sign-in link for `login`, valid for a day.
pub async fn sign_in_link(
    store: &zemstvo_store::Store,
    login: &str,
    base: &str,
) -> Result<String, CliError> {
    let token = new_secret().map_err(|e| input(e.detail))?;
    store
        .add_sign_in_link(login, &hash_secret(&token), now() + 86_400)
        .await
        .map_err(input)?;
    Ok(format!("{}/sign-in/{token}", base.trim_end_matches('/')))
}
