//! Files glasskey writes and locks, the same way everywhere: atomic replacement through a fresh
//! temporary file (`atomic.rs`), advisory locks with a bounded wait (`lock.rs`), and keeping a
//! rewritten file's mode and owner (`owner.rs`).

pub mod atomic;
pub mod lock;
pub mod owner;
