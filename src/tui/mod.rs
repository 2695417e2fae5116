//! The interactive console: terminal set-up and restore, and the event loop
//! that feeds keys, ticks and effect answers through `update` and draws.

pub mod event_loop;
pub mod terminal;

pub use event_loop::run;
