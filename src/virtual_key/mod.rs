//! glasskey's virtual security keys: a software CTAP 2.1 authenticator that speaks CTAPHID
//! reports below the same transport seam as USB keys (DESIGN §6).

mod algorithms;
pub mod authenticator;
mod cred_mgmt;
mod credentials;
pub mod faults;
mod file_lock;
pub mod hid;
mod pin;
pub mod profile;
pub mod serve;
pub mod state;
mod test_ca;
pub mod transport;

pub use authenticator::Authenticator;
pub use faults::Faults;
pub use hid::VirtualDevice;
pub use transport::VirtualTransport;

/// Opens a saved virtual key as a transport (a fresh power-up), waiting for another process
/// that holds it as `wait` says.
pub fn open_transport(
    path: &std::path::Path,
    wait: state::LockWait<'_>,
) -> Result<VirtualTransport, state::StateError> {
    let auth = Authenticator::open_waiting(path, wait)?;
    Ok(VirtualTransport::new(
        VirtualDevice::new(auth),
        format!("virtual:{}", path.display()),
    ))
}
