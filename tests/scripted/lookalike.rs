//! A look-alike's answer to glasskey's identity request: the credential it names, with a
//! signature it cannot make.

use glasskey::ctap2::cbor::{bytes, int, text, Value};
use sha2::{Digest, Sha256};

use super::{ok_reply, Action, Script};

/// Which credential a scripted look-alike names in its answer to the identity request.
#[derive(Clone, Copy, Debug)]
pub enum Answer {
    /// The first ID of the allow list, echoed.
    Echo,
    /// None at all.
    Omit,
    /// One that was not asked for.
    Stranger,
}

/// Answers glasskey's identity request with an assertion it cannot sign: the credential named
/// as `answer` says, a garbage signature.
pub fn echo_identity(answer: Answer) -> Script {
    Box::new(move |request, _auth| {
        let is_identity = request.ctap_command() == Some(0x02)
            && request
                .field(0x01)
                .and_then(|v| v.as_text().map(str::to_owned))
                == Some("glasskey.invalid".into());
        if !is_identity {
            return Action::Forward;
        }
        let Some(first) = request.allow_list().into_iter().next() else {
            return Action::Forward;
        };
        let mut auth_data = Sha256::digest(b"glasskey.invalid").to_vec();
        auth_data.push(0x00);
        auth_data.extend(1000u32.to_be_bytes());
        let id = match answer {
            Answer::Stranger => b"a credential nobody asked for".to_vec(),
            Answer::Echo | Answer::Omit => first,
        };
        let credential = Value::Map(vec![
            (text("id"), bytes(&id)),
            (text("type"), text("public-key")),
        ]);
        let mut fields = Vec::new();
        if !matches!(answer, Answer::Omit) {
            fields.push((int(1), credential));
        }
        fields.push((int(2), bytes(&auth_data)));
        fields.push((
            int(3),
            bytes(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]),
        ));
        Action::Reply(ok_reply(&Value::Map(fields)))
    })
}
