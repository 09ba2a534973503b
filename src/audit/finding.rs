//! A finding: a stable rule ID, a severity, the key and account concerned, and what to do.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        })
    }
}

/// One rule: the ID is stable across releases (docs/policy-rules.md lists them all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub remedy: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub key: Option<String>,
    pub account: Option<String>,
    pub message: String,
    pub remedy: &'static str,
}

impl Finding {
    pub fn new(
        rule: &Rule,
        key: Option<&str>,
        account: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            rule: rule.id,
            name: rule.name,
            severity: rule.severity,
            key: key.map(str::to_owned),
            account: account.map(str::to_owned),
            message: message.into(),
            remedy: rule.remedy,
        }
    }

    /// The one-line form stored in the check history.
    pub fn summary(&self) -> String {
        match &self.key {
            Some(k) => format!("{} {}: {}", self.rule, k, self.message),
            None => format!("{} {}", self.rule, self.message),
        }
    }
}
