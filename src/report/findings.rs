//! Findings as terminal text: one line per finding (rule, severity, name, whom it concerns,
//! message) and its remedy beneath. Shared by `audit`, `vet` and `inventory validate`.

use std::io::Write;

use crate::audit::Finding;
use crate::untrusted::ShowOutside;

pub fn write_findings(w: &mut dyn Write, findings: &[Finding]) -> std::io::Result<()> {
    for f in findings {
        let who = match (&f.key, &f.account) {
            (Some(k), _) => format!(" [{}]", k.shown()),
            (None, Some(a)) => format!(" [{}]", a.shown()),
            _ => String::new(),
        };
        // Messages quote user names and RP IDs from keys (DESIGN §3.8).
        writeln!(
            w,
            "  {} {:<8} {}{who}: {}",
            f.rule,
            f.severity,
            f.name,
            f.message.shown()
        )?;
        writeln!(w, "           → {}", f.remedy)?;
    }
    Ok(())
}
