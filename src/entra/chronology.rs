//! No date in an export is later than the export itself: the script stamps `exportedDateTime`
//! after every Graph request, so a sign-in, registration or last use after it (beyond the
//! clock slack) is impossible in a genuine export, and a far-future sign-in would silence
//! GK039. A Temporary Access Pass's start is exempt: a pass may be set to start later.

use time::Duration;

use super::export::{Bundle, Timestamp};
use super::method::Method;
use super::EntraError;

/// Clocks drift, not by hours: the same slack applies to the export's own date against now.
pub const SLACK: Duration = Duration::minutes(60);

pub fn check(bundle: &Bundle) -> Result<(), EntraError> {
    let limit = bundle.exported_date_time.0 + SLACK;
    let late = |path: String, date: Timestamp| -> Result<(), EntraError> {
        if date.0 > limit {
            Err(EntraError::Json {
                path,
                message: format!(
                    "{date} is after the export was taken ({}): a genuine export holds no later date",
                    bundle.exported_date_time
                ),
            })
        } else {
            Ok(())
        }
    };
    for (i, a) in bundle.accounts.iter().enumerate() {
        if let Some(s) = &a.user.sign_in_activity {
            for (name, date) in [
                (
                    "lastSuccessfulSignInDateTime",
                    s.last_successful_sign_in_date_time,
                ),
                ("lastSignInDateTime", s.last_sign_in_date_time),
            ] {
                if let Some(d) = date {
                    late(format!("accounts[{i}].user.signInActivity.{name}"), d)?;
                }
            }
        }
        for (list, methods) in [
            ("fido2Methods", &a.fido2_methods.value),
            ("methods", &a.methods.value),
        ] {
            for (j, m) in methods.iter().enumerate() {
                for (field, date) in dates(m) {
                    late(format!("accounts[{i}].{list}.value[{j}].{field}"), date)?;
                }
            }
        }
    }
    Ok(())
}

fn dates(m: &Method) -> impl Iterator<Item = (&'static str, Timestamp)> {
    [
        m.created.map(|d| (m.created_field.name(), d)),
        m.last_used.map(|d| ("lastUsedDateTime", d)),
    ]
    .into_iter()
    .flatten()
}
