//! CTAP2 status codes (CTAP 2.1 §8.2). A code we do not know is kept as its byte.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusCode(pub u8);

macro_rules! status_codes {
    ($($name:ident = $code:expr, $text:expr;)*) => {
        impl StatusCode {
            $(pub const $name: StatusCode = StatusCode($code);)*

            /// The spec's name, or None for a code this version of glasskey does not know.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($code => Some(stringify!($name)),)*
                    _ => None,
                }
            }

            fn meaning(self) -> Option<&'static str> {
                match self.0 {
                    $($code => Some($text),)*
                    _ => None,
                }
            }
        }
    };
}

status_codes! {
    OK = 0x00, "success";
    INVALID_COMMAND = 0x01, "the key does not support this command";
    INVALID_PARAMETER = 0x02, "invalid parameter";
    INVALID_LENGTH = 0x03, "invalid message length";
    INVALID_SEQ = 0x04, "invalid message sequencing";
    TIMEOUT = 0x05, "message timed out";
    CHANNEL_BUSY = 0x06, "channel busy";
    LOCK_REQUIRED = 0x0A, "command requires channel lock";
    INVALID_CHANNEL = 0x0B, "invalid channel";
    CBOR_UNEXPECTED_TYPE = 0x11, "the key rejected a CBOR value of the wrong type";
    INVALID_CBOR = 0x12, "the key could not parse the CBOR request";
    MISSING_PARAMETER = 0x14, "a required parameter is missing";
    LIMIT_EXCEEDED = 0x15, "a limit was exceeded";
    FP_DATABASE_FULL = 0x17, "fingerprint database full";
    LARGE_BLOB_STORAGE_FULL = 0x18, "large blob storage full";
    CREDENTIAL_EXCLUDED = 0x19, "a credential in the exclude list is on this key";
    PROCESSING = 0x21, "processing";
    INVALID_CREDENTIAL = 0x22, "invalid credential";
    USER_ACTION_PENDING = 0x23, "user action pending";
    OPERATION_PENDING = 0x24, "operation pending";
    NO_OPERATIONS = 0x25, "no outstanding operations";
    UNSUPPORTED_ALGORITHM = 0x26, "unsupported algorithm";
    OPERATION_DENIED = 0x27, "operation denied (the user declined)";
    KEY_STORE_FULL = 0x28, "no room left for discoverable credentials";
    UNSUPPORTED_OPTION = 0x2B, "unsupported option";
    INVALID_OPTION = 0x2C, "invalid option";
    KEEPALIVE_CANCEL = 0x2D, "cancelled";
    NO_CREDENTIALS = 0x2E, "no matching credentials";
    USER_ACTION_TIMEOUT = 0x2F, "nobody touched the key in time";
    NOT_ALLOWED = 0x30, "not allowed";
    PIN_INVALID = 0x31, "wrong PIN";
    PIN_BLOCKED = 0x32, "PIN blocked";
    PIN_AUTH_INVALID = 0x33, "PIN authentication invalid";
    PIN_AUTH_BLOCKED = 0x34, "PIN authentication blocked until the key is power cycled";
    PIN_NOT_SET = 0x35, "no PIN is set";
    PUAT_REQUIRED = 0x36, "a PIN/UV auth token is required";
    PIN_POLICY_VIOLATION = 0x37, "the PIN does not meet the key's policy";
    REQUEST_TOO_LARGE = 0x39, "request too large";
    ACTION_TIMEOUT = 0x3A, "action timed out";
    UP_REQUIRED = 0x3B, "user presence required";
    UV_BLOCKED = 0x3C, "built-in user verification blocked";
    INTEGRITY_FAILURE = 0x3D, "integrity failure";
    INVALID_SUBCOMMAND = 0x3E, "invalid subcommand";
    UV_INVALID = 0x3F, "user verification failed";
    UNAUTHORIZED_PERMISSION = 0x40, "the token lacks the permission for this command";
    OTHER = 0x7F, "unspecified error";
}

impl std::fmt::Display for StatusCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.name(), self.meaning()) {
            (Some(name), Some(meaning)) => {
                write!(f, "{meaning} (CTAP2_ERR_{name}, {:#04x})", self.0)
            }
            _ => write!(f, "unknown status {:#04x}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_codes_are_kept() {
        let s = StatusCode(0x6A);
        assert_eq!(s.name(), None);
        assert_eq!(s.to_string(), "unknown status 0x6a");
        assert_eq!(StatusCode(0x31), StatusCode::PIN_INVALID);
        assert!(StatusCode::PIN_INVALID
            .to_string()
            .contains("CTAP2_ERR_PIN_INVALID"));
    }
}
