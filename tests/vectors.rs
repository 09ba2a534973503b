//! Byte captures from real authenticators (tests/vectors, from libfido2's fuzz wire data)
//! replayed through glasskey's real CTAPHID channel and CTAP2 parsers.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{load_vector, Replay};
use glasskey::ctap2::cbor::{self, int, text, Value};
use glasskey::ctap2::client_pin::ClientPinResponse;
use glasskey::ctap2::cose::{CoseKey, ALG_ECDH_ES_HKDF_256};
use glasskey::ctap2::credential_management::CredMgmtResponse;
use glasskey::ctap2::get_info::{AuthenticatorInfo, CredMgmtFlavor};
use glasskey::ctap2::{split_reply, Session};
use glasskey::ctaphid::packet::{cmd, Packet, Reassembler, MAX_MESSAGE_LEN};
use glasskey::ctaphid::{CtapHid, InitInfo, KeepaliveStatus};
use sha2::{Digest, Sha256};

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(2)
}

/// Splits a capture into messages with the real reassembler.
fn messages(name: &str) -> Vec<(u32, u8, Vec<u8>)> {
    let reports = load_vector(name);
    let mut out = Vec::new();
    let mut current: Option<Reassembler> = None;
    for r in &reports {
        let packet = Packet::parse(r);
        match current.as_mut() {
            None => current = Some(Reassembler::start(&packet, MAX_MESSAGE_LEN).unwrap()),
            Some(m) => m.push(&packet).unwrap(),
        }
        if current.as_ref().unwrap().is_complete() {
            let m = current.take().unwrap();
            let cid = m.cid();
            let (command, data) = m.into_message();
            out.push((cid, command, data));
        }
    }
    assert!(current.is_none(), "{name} ends mid-message");
    out
}

fn session_replaying(cid: u32, name: &str) -> Session<Replay> {
    let mut replay = Replay::new(cid);
    replay.queue_hex_file(name);
    Session::new(CtapHid::open(replay, deadline()).unwrap())
}

#[test]
fn init_reply() {
    let msgs = messages("ctaphid_init.hex");
    assert_eq!(msgs.len(), 1);
    let (cid, command, data) = &msgs[0];
    assert_eq!((*cid, *command), (0xFFFF_FFFF, cmd::INIT));
    // shared/vectors/README.md gives the nonce as 11804356 40b14ed9, but 0x11 is the low byte
    // of BCNT (17); the nonce proper is the eight bytes after it.
    assert_eq!(data.len(), 17);
    assert_eq!(data[..8], hex::decode("80435640b14ed92d").unwrap()[..]);
    let info = InitInfo::parse(data).unwrap();
    assert_eq!(info.cid, 0x0022_0002);
    assert_eq!(info.protocol_version, 2);
    assert_eq!(info.device_version.to_string(), "5.2.1");
    assert_eq!(info.capabilities, 0x05);
    assert!(info.supports_wink() && info.supports_cbor() && info.supports_msg());
}

#[test]
fn keepalive_is_skipped_and_reported_once() {
    let mut replay = Replay::new(0x0022_0002);
    replay.queue_hex_file("ctaphid_keepalive.hex");
    replay.queue_hex_file("ctaphid_keepalive.hex");
    replay.queue_hex_file("cbor_status_ok.hex");
    let mut hid = CtapHid::open(replay, deadline()).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    hid.set_keepalive_hook(Some(Box::new(move |s| sink.lock().unwrap().push(s))));
    // authenticatorSelection waits for a touch, so UPNEEDED is worth reporting.
    let mut s = glasskey::ctap2::Session::new(hid);
    s.selection().unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        vec![KeepaliveStatus::UserPresenceNeeded]
    );
}

#[test]
fn get_info_ctap21_pre_key() {
    let mut s = session_replaying(0x0022_0002, "getinfo_ctap21pre.hex");
    let info = s.info().unwrap().clone();
    assert_eq!(info.versions, vec!["U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE"]);
    assert_eq!(info.extensions, vec!["credProtect", "hmac-secret"]);
    assert_eq!(info.aaguid_string(), "1956e5bd-a374-45f1-a814-356403fdbc18");
    assert_eq!(info.option("rk"), Some(true));
    assert_eq!(info.option("up"), Some(true));
    assert_eq!(info.option("plat"), Some(false));
    assert_eq!(info.pin_set(), Some(false));
    assert_eq!(info.option("credentialMgmtPreview"), Some(true));
    assert_eq!(info.cred_mgmt(), Some(CredMgmtFlavor::Preview));
    assert_eq!(info.max_msg_size, Some(1200));
    assert_eq!(info.pin_uv_auth_protocols, vec![1]);
    assert_eq!(info.max_credential_count_in_list, Some(8));
    assert_eq!(info.max_credential_id_length, Some(128));
    assert_eq!(
        info.algorithms.iter().map(|a| a.alg).collect::<Vec<_>>(),
        vec![-7, -8]
    );
    assert!(info.unknown_keys.is_empty());
    assert!(!info.supports_permissions());
    // getInfo is one request: one init report sent, the reply consumed whole.
    assert_eq!(s.transport().written.len(), 2);
    assert_eq!(s.max_message_size(), 1200);
}

#[test]
fn get_info_ctap23_era_key() {
    let mut s = session_replaying(0x0022_0002, "getinfo_ctap23.hex");
    let info = s.info().unwrap().clone();
    assert_eq!(
        info.versions,
        vec!["U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE", "FIDO_2_1", "FIDO_2_3"]
    );
    assert_eq!(info.pin_set(), Some(false));
    assert!(info.supports_pcmr());
    assert_eq!(info.cred_mgmt(), Some(CredMgmtFlavor::Standard));
    assert_eq!(info.max_msg_size, Some(1536));
    assert_eq!(info.pin_protocols(), vec![2, 1]);
    assert_eq!(info.transports, vec!["nfc", "usb", "smart-card"]);
    assert_eq!(
        info.algorithms.iter().map(|a| a.alg).collect::<Vec<_>>(),
        vec![-7, -8, -35]
    );
    assert_eq!(info.max_serialized_large_blob_array, Some(4096));
    assert_eq!(info.force_pin_change, Some(false));
    assert_eq!(info.min_pin_length, Some(4));
    assert_eq!(info.firmware_version, Some(1));
    assert_eq!(info.max_cred_blob_length, Some(32));
    assert_eq!(info.remaining_discoverable_credentials, Some(100));
    assert_eq!(info.attestation_formats, vec!["packed"]);
    assert_eq!(info.long_touch_for_reset, Some(true));
    assert_eq!(info.transports_for_reset, vec!["usb", "smart-card"]);
    assert_eq!(info.pin_complexity_policy, Some(true));
    assert_eq!(
        info.pin_complexity_policy_url.as_deref(),
        Some("https://example.com")
    );
    assert_eq!(info.max_pin_length, Some(63));
    assert_eq!(info.authenticator_config_commands, vec![1, 2, 3]);
    assert_eq!(info.enc_identifier.as_ref().map(Vec::len), Some(32));
    assert!(info.unknown_keys.is_empty());
}

#[test]
fn get_info_keys_from_the_future_are_kept_not_fatal() {
    let msgs = messages("getinfo_ctap23.hex");
    let body = split_reply(&msgs[0].2).unwrap().unwrap();
    let Value::Map(mut entries) = body else {
        panic!("getInfo is a map")
    };
    entries.push((int(0x30), text("a field of CTAP 2.9")));
    let info = AuthenticatorInfo::parse(&Value::Map(entries)).unwrap();
    assert_eq!(info.unknown_keys, vec![0x30]);
    assert_eq!(info.max_pin_length, Some(63));
}

#[test]
fn client_pin_replies() {
    let ka = messages("clientpin_keyagreement.hex");
    let r = ClientPinResponse::parse(split_reply(&ka[0].2).unwrap().as_ref()).unwrap();
    let Some(CoseKey::P256 { alg, x, y }) = r.key_agreement else {
        panic!("no P-256 key")
    };
    assert_eq!(alg, ALG_ECDH_ES_HKDF_256);
    assert_eq!(
        hex::encode(x),
        "2ab82d3669ab309de35e9bfb94fc1d9295af0147fe4b87e5cf3f050b39da1749"
    );
    assert_eq!(
        hex::encode(y),
        "151bbe0878604d3c3ff160a6d8f8edce4a305d1aaf80c40ad26f77381297aabd"
    );

    let token = messages("clientpin_pintoken.hex");
    let r = ClientPinResponse::parse(split_reply(&token[0].2).unwrap().as_ref()).unwrap();
    assert_eq!(
        hex::encode(r.pin_uv_auth_token.as_ref().unwrap().as_slice()),
        "ee404c85d7a12f56c44ec59341d03b23"
    );
    assert!(
        !format!("{r:?}").contains("ee404c"),
        "Debug must redact the token"
    );

    let retries = messages("clientpin_retries.hex");
    let r = ClientPinResponse::parse(split_reply(&retries[0].2).unwrap().as_ref()).unwrap();
    assert_eq!(r.pin_retries, Some(8));
    assert_eq!(r.power_cycle_state, None);
}

#[test]
fn credential_management_replies() {
    let meta = messages("credman_metadata.hex");
    assert_eq!(meta[0].0, 0x0012_0004);
    let r = CredMgmtResponse::parse(split_reply(&meta[0].2).unwrap().as_ref()).unwrap();
    assert_eq!(r.existing_resident_credentials, Some(0));
    assert_eq!(r.remaining_resident_credentials, Some(25));

    let rps = messages("credman_rps.hex");
    assert_eq!(rps.len(), 3);
    let parsed: Vec<CredMgmtResponse> = rps
        .iter()
        .map(|m| CredMgmtResponse::parse(split_reply(&m.2).unwrap().as_ref()).unwrap())
        .collect();
    assert_eq!(parsed[0].total_rps, Some(3));
    assert_eq!(parsed[1].total_rps, None);
    let ids: Vec<String> = parsed.iter().map(|r| r.rp.clone().unwrap().0).collect();
    assert_eq!(ids, vec!["yubico.com", "yubikey.org", "webauthn.dev"]);
    for r in &parsed {
        let id = r.rp.clone().unwrap().0;
        assert_eq!(
            r.rp_id_hash.unwrap().to_vec(),
            Sha256::digest(id.as_bytes()).to_vec(),
            "{id}"
        );
    }
}

#[test]
fn exact_bytes_sent_for_get_info_and_pin_retries() {
    let mut replay = Replay::new(0x0022_0002);
    replay.queue_hex_file("getinfo_ctap21pre.hex");
    replay.queue_hex_file("clientpin_retries.hex");
    let mut s = Session::new(CtapHid::open(replay, deadline()).unwrap());
    assert_eq!(s.pin_retries().unwrap().retries, 8);
    let written = &s.transport().written;
    assert_eq!(written.len(), 3, "INIT, getInfo, getPINRetries");
    // INIT: broadcast channel, command 0x86, 8 nonce bytes.
    assert_eq!(written[0][..7], [0xFF, 0xFF, 0xFF, 0xFF, 0x86, 0x00, 0x08]);
    let mut get_info = [0u8; 64];
    get_info[..8].copy_from_slice(&[0x00, 0x22, 0x00, 0x02, 0x90, 0x00, 0x01, 0x04]);
    assert_eq!(written[1], get_info);
    // clientPIN {1: 1, 2: 1}: a key without FIDO_2_1 (this one is 2.1-PRE) follows CTAP 2.0
    // §5.5.3, where getPINRetries carries pinProtocol like every clientPIN subcommand.
    let mut retries = [0u8; 64];
    retries[..13].copy_from_slice(&[
        0x00, 0x22, 0x00, 0x02, 0x90, 0x00, 0x06, 0x06, 0xA2, 0x01, 0x01, 0x02, 0x01,
    ]);
    assert_eq!(written[2], retries);
}

#[test]
fn tiny_max_msg_size_is_read_as_the_spec_minimum() {
    // A key advertising maxMsgSize 0 must still get requests up to 1024 bytes (CTAP 2.1 §6.4).
    let info = Value::Map(vec![
        (int(1), Value::Array(vec![text("FIDO_2_0")])),
        (int(3), cbor::bytes(&[0u8; 16])),
        (int(5), int(0)),
    ]);
    let mut reply = vec![0u8];
    reply.extend(cbor::encode(&info));
    let mut replay = Replay::new(7);
    replay.replies.extend(
        glasskey::ctaphid::packet::fragment(7, cmd::CBOR, &reply, MAX_MESSAGE_LEN).unwrap(),
    );
    let mut s = Session::new(CtapHid::open(replay, deadline()).unwrap());
    s.info().unwrap();
    assert_eq!(s.max_message_size(), 1024);
}
