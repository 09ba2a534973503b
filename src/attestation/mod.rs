//! Attestation: is the key genuine? (packed attestation, chain to bundled vendor roots)

pub mod algorithms;
pub mod leaf;
pub mod path;
pub mod roots;
pub mod verify;
pub mod x509;
