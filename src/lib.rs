//! modeldeck: a keyboard-driven terminal console for operating ML model
//! deployments. See docs/ARCHITECTURE.md for how the layers fit.

pub mod app;
pub mod backends;
pub mod cli;
pub mod commands;
pub mod config;
pub mod domain;
pub mod ops;
pub mod plot;
pub mod sim;
pub mod startup;
pub mod text;
pub mod tui;
pub mod ui;
pub mod zero;
