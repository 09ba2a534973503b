//! SHA-256 and HKDF over secrets (the PIN, the ECDH secret) leaving no copy in the hasher.
//!
//! sha2 0.10 keeps the last partial block of its input (for a PIN: the whole PIN) in its block
//! buffer, and `finalize`/`reset` only move a position index, so the PIN stays in memory until
//! the bytes are reused. sha2 0.11 has a `zeroize` feature, but it sits on digest 0.11 while
//! hmac/hkdf 0.12, ecdsa 0.16, p256 0.13 and rsa 0.9 in Cargo.lock need digest 0.10: it would be
//! a second hash stack for this one use, and it only wipes on drop, which is what this does
//! explicitly. Here the hasher and the HKDF state are overwritten with zeros (volatile writes,
//! not optimised away) once the output is in zeroizing memory. That is sound because these
//! types (sha2 0.10, digest 0.10, hkdf 0.12) are flat: integer arrays and counters, no pointers,
//! no Drop (asserted below), and all-zero is a valid value of each.
//!
//! Not covered: copies the compression function makes on the stack (the message schedule); we
//! overwrite a stack area after hashing (`scrub_stack`), which is best effort and not provable
//! by a test.

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

type HkdfSha256 = hkdf::Hkdf<Sha256>;

// A Drop impl in a future version would mean the type owns something else: re-check the
// soundness argument above before changing these versions.
const _: () = assert!(!std::mem::needs_drop::<Sha256>());
const _: () = assert!(!std::mem::needs_drop::<HkdfSha256>());

fn wipe_sha256(hasher: &mut Sha256) {
    // SAFETY: `Sha256` (sha2 0.10) holds only integers and byte arrays, no pointers and no Drop
    // (checked above); all-zero bytes are a valid value of it, so it stays usable.
    unsafe { zeroize::zeroize_flat_type(hasher as *mut Sha256) }
}

fn wipe_hkdf(hkdf: &mut HkdfSha256) {
    // SAFETY: as for `wipe_sha256`: `Hkdf<Sha256>` (hkdf 0.12) is two flat SHA-256 cores.
    unsafe { zeroize::zeroize_flat_type(hkdf as *mut HkdfSha256) }
}

/// Overwrites a stack area below the caller's frame, where the hash functions just ran.
#[inline(never)]
fn scrub_stack() {
    let mut area = [0xFFu8; 8192];
    zeroize::Zeroize::zeroize(&mut area);
    std::hint::black_box(&area);
}

/// HKDF-SHA-256 with a zero salt, expanded into `out` for each `(info, range)`: CTAP's
/// protocol-2 KDF over the ECDH secret.
pub fn hkdf_zeroizing(z: &[u8], parts: &mut [(&[u8], &mut [u8])]) {
    let mut hk = HkdfSha256::new(Some(&[0u8; 32]), z);
    for (info, out) in parts.iter_mut() {
        // 32-byte outputs are far below HKDF-SHA-256's limit, so expand cannot fail.
        let _ = hk.expand(info, out);
    }
    wipe_hkdf(&mut hk);
    scrub_stack();
}

/// SHA-256 of `data` into zeroizing memory.
pub fn sha256_zeroizing(data: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    let mut hasher = Sha256::new();
    hash_then_wipe(&mut hasher, data, &mut out);
    out
}

fn hash_then_wipe(hasher: &mut Sha256, data: &[u8], out: &mut [u8; 32]) {
    hasher.update(data);
    sha2::digest::FixedOutputReset::finalize_into_reset(hasher, out.into());
    wipe_sha256(hasher);
    scrub_stack();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of `value`. Only read after a wipe wrote every byte (padding included).
    fn bytes_of<T>(value: &T) -> Vec<u8> {
        let p = (value as *const T).cast::<u8>();
        (0..std::mem::size_of::<T>())
            // SAFETY: p..p+size is `value`'s own memory, alive for this borrow.
            .map(|i| unsafe { std::ptr::read_volatile(p.add(i)) })
            .collect()
    }

    #[test]
    fn the_hasher_keeps_nothing_of_the_pin() {
        let pin = b"Kq7!mZ2p-0123456789";
        let mut hasher = Sha256::new();
        let mut out = [0u8; 32];
        hash_then_wipe(&mut hasher, pin, &mut out);
        assert_eq!(out[..], Sha256::digest(pin)[..]);
        let left = bytes_of(&hasher);
        assert!(
            !left.windows(4).any(|w| pin.windows(4).any(|p| p == w)),
            "PIN bytes left in the hasher: {left:02x?}"
        );
        assert!(left.iter().all(|b| *b == 0), "{left:02x?}");
    }
}
