//! CTAPHID (CTAP 2.1 §11.2): framing of messages into HID reports and the client side of a
//! channel on one key.

pub mod channel;
pub mod error;
pub mod packet;

pub use channel::{CtapHid, DeviceVersion, InitInfo, KeepaliveStatus, TraceDirection};
pub use error::{CtapHidError, HidErrorCode};
