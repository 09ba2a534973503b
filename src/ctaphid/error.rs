use super::packet::FrameError;
use crate::transport::TransportError;

/// CTAPHID_ERROR codes (CTAP 2.1 §11.2.9.1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HidErrorCode {
    InvalidCommand,
    InvalidParameter,
    InvalidLength,
    InvalidSequence,
    MessageTimeout,
    ChannelBusy,
    LockRequired,
    InvalidChannel,
    Other,
    Unknown(u8),
}

impl HidErrorCode {
    pub fn from_byte(b: u8) -> Self {
        match b {
            0x01 => Self::InvalidCommand,
            0x02 => Self::InvalidParameter,
            0x03 => Self::InvalidLength,
            0x04 => Self::InvalidSequence,
            0x05 => Self::MessageTimeout,
            0x06 => Self::ChannelBusy,
            0x0A => Self::LockRequired,
            0x0B => Self::InvalidChannel,
            0x7F => Self::Other,
            other => Self::Unknown(other),
        }
    }

    pub fn to_byte(self) -> u8 {
        match self {
            Self::InvalidCommand => 0x01,
            Self::InvalidParameter => 0x02,
            Self::InvalidLength => 0x03,
            Self::InvalidSequence => 0x04,
            Self::MessageTimeout => 0x05,
            Self::ChannelBusy => 0x06,
            Self::LockRequired => 0x0A,
            Self::InvalidChannel => 0x0B,
            Self::Other => 0x7F,
            Self::Unknown(b) => b,
        }
    }
}

impl std::fmt::Display for HidErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            Self::InvalidCommand => "invalid command",
            Self::InvalidParameter => "invalid parameter",
            Self::InvalidLength => "invalid length",
            Self::InvalidSequence => "invalid sequence",
            Self::MessageTimeout => "message timed out",
            Self::ChannelBusy => "channel busy",
            Self::LockRequired => "channel lock required",
            Self::InvalidChannel => "invalid channel",
            Self::Other => "unspecified error",
            Self::Unknown(b) => return write!(f, "unknown error {b:#04x}"),
        };
        f.write_str(text)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CtapHidError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("malformed CTAPHID reply: {0}")]
    Frame(#[from] FrameError),
    #[error("the key reported a CTAPHID error: {0}")]
    Device(HidErrorCode),
    #[error("the key answered command {got:#04x} to command {sent:#04x}")]
    UnexpectedCommand { sent: u8, got: u8 },
    #[error("the key's INIT reply is {0} bytes, expected at least 17")]
    ShortInit(usize),
    #[error("the key echoed different PING data")]
    PingMismatch,
    #[error("the operation was cancelled")]
    Cancelled,
    /// Cancelled (Ctrl-C) after a request carrying PIN material went out, before its reply.
    #[error("cancelled after the PIN request was sent")]
    CancelledAfterPinSent,
    #[error("the key stayed busy until the deadline")]
    Busy,
    #[error("the key was busy with another application when the PIN request was sent")]
    BusyNotResent,
}
