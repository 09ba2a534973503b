//! The in-process transport: glasskey's client talks to a virtual key through the very same
//! `Transport` seam as to a USB key.

use std::time::{Duration, Instant};

use super::hid::VirtualDevice;
use crate::transport::{Report, Transport, TransportError};

/// Pace of keepalives, like a real key (which sends them every 100 ms or so, faster here).
const KEEPALIVE_INTERVAL: Duration = Duration::from_millis(5);

pub struct VirtualTransport {
    device: VirtualDevice,
    label: String,
}

impl VirtualTransport {
    pub fn new(device: VirtualDevice, label: impl Into<String>) -> Self {
        Self {
            device,
            label: label.into(),
        }
    }

    pub fn device(&self) -> &VirtualDevice {
        &self.device
    }

    pub fn device_mut(&mut self) -> &mut VirtualDevice {
        &mut self.device
    }

    pub fn into_device(self) -> VirtualDevice {
        self.device
    }
}

fn sleep_until(deadline: Instant, wanted: Duration) {
    let now = Instant::now();
    let left = deadline.saturating_duration_since(now);
    std::thread::sleep(wanted.min(left));
}

impl Transport for VirtualTransport {
    fn write_report(&mut self, report: &Report) -> Result<(), TransportError> {
        if self.device.is_vanished() {
            return Err(TransportError::Disconnected);
        }
        self.device.receive(report);
        Ok(())
    }

    fn read_report(&mut self, deadline: Instant) -> Result<Report, TransportError> {
        let latency = Duration::from_millis(self.device.authenticator().state().faults.latency_ms);
        if !latency.is_zero() {
            sleep_until(deadline, latency);
        }
        if self.device.is_waiting_for_touch() {
            sleep_until(deadline, KEEPALIVE_INTERVAL);
        }
        if Instant::now() >= deadline {
            return Err(TransportError::Timeout);
        }
        match self.device.poll() {
            Some(r) => Ok(r),
            None if self.device.is_vanished() => Err(TransportError::Disconnected),
            None => {
                // Nothing to say: a silent key makes the host wait out its deadline.
                sleep_until(deadline, deadline.saturating_duration_since(Instant::now()));
                Err(TransportError::Timeout)
            }
        }
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}
