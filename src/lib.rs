//! The `zemstvo` command line as a library: argument parsing ([`cli`]), one module per command
//! ([`commands`]), and how reports are printed for people ([`print`]). The binary in
//! `main.rs` only parses arguments and calls [`cli::execute`].

pub mod cli;
pub mod commands;
pub mod print;
