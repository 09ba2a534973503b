//! authenticatorSelection (0x0B): "touch the key you mean".

use super::cbor::Value;
use super::{code, Command, Ctap2Error};

pub struct Selection;

impl Command for Selection {
    type Response = ();

    fn code(&self) -> u8 {
        code::SELECTION
    }

    fn needs_presence(&self) -> bool {
        true
    }

    fn params(&self) -> Option<Value> {
        None
    }

    fn parse(&self, _body: Option<&Value>) -> Result<(), Ctap2Error> {
        Ok(())
    }
}
