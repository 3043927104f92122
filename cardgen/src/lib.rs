//! The 明白卡 (clarity card) renderer.
//!
//! Knows nothing of HTTP or the database: its input is a [`Card`], everything the card
//! prints already decided by the caller.

mod card;

pub use card::{Card, Checked, Helper, Income, Location, Member, Policy, QualityCheck};
