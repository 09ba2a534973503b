//! CTAP2 (CTAP 2.1 §6): typed commands, PIN/UV auth protocols, and a session that enforces
//! glasskey's PIN safety rules.

pub mod auth_data;
pub mod cbor;
pub mod client_pin;
pub mod cose;
pub mod credential_management;
pub mod error;
pub mod get_assertion;
pub mod get_info;
pub mod key_lock;
pub mod make_credential;
pub mod pin_protocol;
pub mod selection;
pub mod session;
pub mod status;
mod wiped_hash;

pub use error::Ctap2Error;
pub use session::Session;
pub use status::StatusCode;

use cbor::Value;

/// One CTAP2 command: its code, its request parameters and how to read its reply.
pub trait Command {
    type Response;

    /// The command byte sent inside CTAPHID_CBOR.
    fn code(&self) -> u8;

    /// The request's CBOR map, or None for commands without parameters.
    fn params(&self) -> Option<Value>;

    /// Decodes the reply body (None when the key sent only the status byte).
    fn parse(&self, body: Option<&Value>) -> Result<Self::Response, Ctap2Error>;

    /// True when the request or reply carries PIN material, so traces must hide it.
    fn is_sensitive(&self) -> bool {
        false
    }

    /// True when the key must see a touch before it answers, so a KEEPALIVE UPNEEDED is worth
    /// a prompt. Some firmware sends UPNEEDED for every request; for the others it is noise.
    fn needs_presence(&self) -> bool {
        false
    }
}

/// Command bytes (CTAP 2.1 §6).
pub mod code {
    pub const MAKE_CREDENTIAL: u8 = 0x01;
    pub const GET_ASSERTION: u8 = 0x02;
    pub const GET_INFO: u8 = 0x04;
    pub const CLIENT_PIN: u8 = 0x06;
    pub const RESET: u8 = 0x07;
    pub const GET_NEXT_ASSERTION: u8 = 0x08;
    pub const BIO_ENROLLMENT: u8 = 0x09;
    pub const CREDENTIAL_MANAGEMENT: u8 = 0x0A;
    pub const SELECTION: u8 = 0x0B;
    pub const LARGE_BLOBS: u8 = 0x0C;
    pub const CONFIG: u8 = 0x0D;
    /// The CTAP 2.1-PRE prototype of credential management.
    pub const CREDENTIAL_MANAGEMENT_PREVIEW: u8 = 0x41;
}

/// Splits a CTAPHID_CBOR reply into status and decoded body.
pub fn split_reply(reply: &[u8]) -> Result<Option<Value>, Ctap2Error> {
    let Some((&status, body)) = reply.split_first() else {
        return Err(Ctap2Error::Protocol(
            "the key sent an empty CBOR reply".into(),
        ));
    };
    if status != 0 {
        return Err(Ctap2Error::Status(StatusCode(status)));
    }
    if body.is_empty() {
        return Ok(None);
    }
    Ok(Some(cbor::decode(body)?))
}
