//! The single seam between glasskey and a key: one 64-byte report out, one report in before a
//! deadline. Everything above this (CTAPHID framing, CTAP2) is the same code for every backend.

pub mod hid;
pub mod udp;

use std::time::Instant;

/// Size of a full-speed FIDO HID report, without the report-ID byte.
pub const REPORT_LEN: usize = 64;

pub type Report = [u8; REPORT_LEN];

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("timed out waiting for the key to answer")]
    Timeout,
    #[error("the key was disconnected")]
    Disconnected,
    /// Nothing listens at a simulator's address (UDP connection refused).
    #[error("nothing is listening at {0} (connection refused)")]
    Refused(String),
    #[error("no permission to open {path}: {hint}")]
    PermissionDenied { path: String, hint: String },
    #[error("device I/O failed: {0}")]
    Io(String),
    #[error("cannot open {what}: {reason}")]
    Open { what: String, reason: String },
}

/// One opened connection to a key.
pub trait Transport: Send {
    /// Sends one report to the key.
    fn write_report(&mut self, report: &Report) -> Result<(), TransportError>;

    /// Receives one report, or fails with `Timeout` once `deadline` has passed.
    fn read_report(&mut self, deadline: Instant) -> Result<Report, TransportError>;

    /// A short human description, for errors and traces.
    fn describe(&self) -> String;
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn write_report(&mut self, report: &Report) -> Result<(), TransportError> {
        (**self).write_report(report)
    }
    fn read_report(&mut self, deadline: Instant) -> Result<Report, TransportError> {
        (**self).read_report(deadline)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn write_report(&mut self, report: &Report) -> Result<(), TransportError> {
        (**self).write_report(report)
    }
    fn read_report(&mut self, deadline: Instant) -> Result<Report, TransportError> {
        (**self).read_report(deadline)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}
