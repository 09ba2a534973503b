//! CSV (RFC 4180): one header row, one row per key. Every row carries the inventory's SHA-256
//! and the generation date, so any extract can be matched to its file.

use super::escape::csv_field as field;
use super::sheet::SheetReport;

const HEADER: &[&str] = &[
    "label",
    "account",
    "display_name",
    "model",
    "aaguid",
    "transport",
    "firmware",
    "vendor_serial",
    "usb_serial",
    "casing_serial",
    "identity_fingerprint",
    "custodian",
    "location",
    "enrolled",
    "last_check",
    "last_result",
    "retired",
    "inventory_sha256",
    "generated",
];

/// Extra columns when the sheets were made with an Entra export.
const ENTRA_HEADER: &[&str] = &[
    "entra_registered",
    "entra_display_name",
    "entra_created",
    "entra_last_used",
    "entra_export_sha256",
    "entra_export_date",
];

pub fn sheets(r: &SheetReport) -> String {
    let mut out = String::new();
    out.push_str(&HEADER.join(","));
    if r.entra_export.is_some() {
        out.push(',');
        out.push_str(&ENTRA_HEADER.join(","));
    }
    out.push_str("\r\n");
    for k in &r.keys {
        let row = [
            field(&k.label),
            field(&k.account),
            field(k.display_name.as_deref().unwrap_or("")),
            field(k.model.as_deref().unwrap_or("")),
            field(&k.aaguid),
            field(&k.transport_cell()),
            field(k.firmware.as_deref().unwrap_or("")),
            k.vendor_serial.map(|s| s.to_string()).unwrap_or_default(),
            field(k.usb_serial.as_deref().unwrap_or("")),
            field(k.casing_serial.as_deref().unwrap_or("")),
            field(&k.identity_fingerprint),
            field(&k.custodian),
            field(&k.location),
            field(&k.enrolled),
            field(k.last_check.as_deref().unwrap_or("")),
            field(k.last_result.as_deref().unwrap_or("")),
            field(&k.retired_flag().unwrap_or_default()),
            field(&r.inventory_sha256),
            field(&r.generated),
        ];
        let mut row = row.to_vec();
        if let (Some(e), Some(x)) = (&k.entra, &r.entra_export) {
            row.extend([
                e.registered.to_string(),
                field(e.display_name.as_deref().unwrap_or("")),
                field(e.created.as_deref().unwrap_or("")),
                field(e.last_used.as_deref().unwrap_or("")),
                field(&x.sha256),
                field(&x.date),
            ]);
        }
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}
